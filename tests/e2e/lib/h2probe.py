#!/usr/bin/python3
"""h2probe — HTTP/2 cases at frame level that watch a connection over time
(h2conf.py's Conn underneath), for hsysd's settings, timeouts and GOAWAYs.

    h2probe.py HOST PORT [--tls] [--authority NAME] CASE [PATH] [--wait S]

Cases (each prints one line and exits 0 when it saw what it names):
  streams PATH   the server's SETTINGS_MAX_CONCURRENT_STREAMS N; N streams
                 to PATH (one that does not answer, e.g. /hang), then one
                 more, which must be refused: "max N refused CODE" (its
                 RST_STREAM) or "max N goaway LAST CODE" (a connection
                 error, which RFC 9113 §5.4.1 allows)
  halfhead       a HEADERS frame without END_HEADERS and nothing after it;
                 how the server ends the connection, and after how long:
                 "goaway LAST CODE after S" or "closed after S"
  goaway PATH    a stream to PATH (e.g. /hold?ms=2000), then waits (up to
                 --wait seconds) for GOAWAY while the stream is open (PINGs
                 answered), and for the stream's end: "goaway LAST CODE
                 status STATUS" of the last GOAWAY, or "nogoaway status
                 STATUS"
  idle           a connection with no stream; waits for the server's
                 GOAWAY: "goaway LAST CODE after S"
"""
import argparse
import sys
import time

from h2conf import Closed, Conn
from hyperframe.frame import (DataFrame, GoAwayFrame, HeadersFrame,
                              PingFrame, RstStreamFrame, WindowUpdateFrame)
from hpack import Decoder

MAX_CONCURRENT_STREAMS = 0x3


def settings(c):
    c.until(lambda f: MAX_CONCURRENT_STREAMS in c.server_settings, 5)
    return c.server_settings.get(MAX_CONCURRENT_STREAMS)


def case_streams(c, a):
    n = settings(c)
    if n is None:
        return "no SETTINGS_MAX_CONCURRENT_STREAMS", 1
    for i in range(n):
        c.send(c.request(1 + 2 * i, path=a.path))
    extra = 1 + 2 * n
    c.send(c.request(extra, path=a.path))
    f = c.until(lambda f: isinstance(f, (RstStreamFrame, GoAwayFrame)) or
                f.stream_id == extra, a.wait)
    if isinstance(f, RstStreamFrame) and f.stream_id == extra:
        return "max %d refused %d" % (n, f.error_code), 0
    if isinstance(f, GoAwayFrame):
        return "max %d goaway %d %d" % (n, f.last_stream_id,
                                        f.error_code), 0
    return "max %d not refused: %r" % (n, f), 1


def case_halfhead(c, a):
    settings(c)
    t0 = time.monotonic()
    h = c.request(1, path=a.path or "/")
    h.flags.discard("END_HEADERS")
    c.send(h)
    f = c.until(lambda f: isinstance(f, GoAwayFrame), a.wait)
    s = time.monotonic() - t0
    if f is not None:
        return "goaway %d %d after %.0f" % (f.last_stream_id, f.error_code,
                                            s), 0
    return ("closed after %.0f" % s, 0) if c.closed else ("nothing", 1)


def status_of(c, sid, dec, wait, seen):
    """Frames of stream sid until it ends; GOAWAYs met on the way go to
    seen. The status, or "rst CODE", "closed", "timeout"."""
    status = None
    deadline = time.monotonic() + wait
    while True:
        f = c.until(lambda f: f.stream_id in (sid, 0),
                    max(0.05, deadline - time.monotonic()))
        if f is None:
            return "closed" if c.closed else "timeout"
        if isinstance(f, GoAwayFrame):
            seen.append(f)
            continue
        if isinstance(f, PingFrame) and "ACK" not in f.flags:
            c.send(PingFrame(0, opaque_data=f.opaque_data, flags=["ACK"]))
            continue
        if isinstance(f, RstStreamFrame):
            return "rst %d" % f.error_code
        if isinstance(f, HeadersFrame):
            for k, v in dec.decode(f.data):
                if k in (":status", b":status") and not str(v).startswith(
                        ("1", "b'1")):
                    status = int(v)
        if isinstance(f, DataFrame) and f.flow_controlled_length:
            c.send(WindowUpdateFrame(0, window_increment=f.flow_controlled_length),
                   WindowUpdateFrame(sid, window_increment=f.flow_controlled_length))
        if f.stream_id == sid and "END_STREAM" in f.flags:
            return status


def case_goaway(c, a):
    settings(c)
    c.send(c.request(1, path=a.path))
    seen = []
    st = status_of(c, 1, Decoder(), a.wait, seen)
    # The GOAWAY that counts is the last (a first one may announce the
    # shutdown with the highest id; its PING was answered above).
    while not seen or seen[-1].last_stream_id == 0x7fffffff:
        f = c.until(lambda f: isinstance(f, (GoAwayFrame, PingFrame)), 5)
        if f is None:
            break
        if isinstance(f, PingFrame) and "ACK" not in f.flags:
            c.send(PingFrame(0, opaque_data=f.opaque_data, flags=["ACK"]))
        elif isinstance(f, GoAwayFrame):
            seen.append(f)
    if seen:
        return "goaway %d %d status %s" % (seen[-1].last_stream_id,
                                          seen[-1].error_code, st), 0
    return "nogoaway status %s" % st, 1


def case_idle(c, a):
    settings(c)
    t0 = time.monotonic()
    f = c.until(lambda f: isinstance(f, GoAwayFrame), a.wait)
    s = time.monotonic() - t0
    if f is not None:
        return "goaway %d %d after %.0f" % (f.last_stream_id, f.error_code,
                                            s), 0
    return ("closed after %.0f" % s, 1) if c.closed else ("nothing", 1)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("host")
    p.add_argument("port", type=int)
    p.add_argument("case")
    p.add_argument("path", nargs="?", default="/")
    p.add_argument("--tls", action="store_true")
    p.add_argument("--authority")
    p.add_argument("--wait", type=float, default=10)
    a = p.parse_args()
    a.authority = a.authority or "%s:%d" % (a.host, a.port)
    try:
        c = Conn(a)
    except (Closed, OSError) as e:
        print("connect: %s" % e)
        return 1
    line, rc = {"streams": case_streams, "halfhead": case_halfhead,
                "goaway": case_goaway, "idle": case_idle}[a.case](c, a)
    print(line)
    sys.stdout.flush()
    return rc


if __name__ == "__main__":
    sys.exit(main())
