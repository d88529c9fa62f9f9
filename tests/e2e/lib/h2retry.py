#!/usr/bin/python3
"""h2retry — an HTTP/2 load that behaves as a browser does at a GOAWAY:
the streams the server says it took (id <= the last stream id) are waited
for, the ones it did not take are sent again on a new connection (RFC 9113
§6.8: they were not processed, so a retry is safe), and new requests go to
a new connection. h2load counts requests it never sent after a GOAWAY as
failed; this client shows whether a hand-over loses any request at all.

    h2retry.py HOST PORT PATH [--conns K] [--streams M] [--requests N]
                   [--until FILE] [--seconds S] [--started FILE]

h2c with prior knowledge. K threads, each with one connection at a time
and at most M streams in flight, share N requests. Prints one line:

    done D failed F retried R connections C

and exits 0 when every request got a 200 (D == N, F == 0). With --until,
it sends requests until FILE exists (N is then what it sent). --started
FILE is written once the first 100 responses arrived. Bounded: S seconds
(60) in all; what is not done by then counts as failed.
"""
import argparse
import os
import sys
import threading
import time
from types import SimpleNamespace

from h2conf import Closed, Conn
from hpack import Decoder
from hyperframe.frame import (DataFrame, GoAwayFrame, HeadersFrame,
                              PingFrame, RstStreamFrame, WindowUpdateFrame)

REFUSED_STREAM = 7
lock = threading.Lock()
count = {"left": 0, "taken": 0, "done": 0, "failed": 0, "retried": 0,
         "conns": 0}


def take(n):
    """Up to n requests from the shared pool."""
    with lock:
        k = min(n, count["left"])
        count["left"] -= k
        count["taken"] += k
        return k


def add(key, n=1):
    with lock:
        count[key] += n


def give_back(n):
    with lock:
        count["left"] += n
        count["retried"] += n


def lost(sids, why):
    if sids:
        print("# %d streams lost: %s" % (len(sids), why), file=sys.stderr)
        add("failed", len(sids))


def one_connection(a, deadline, started):
    """One connection until GOAWAY and its streams' ends, a close, or the
    end of the pool. Frames by hand (h2conf's Conn): python-h2's client
    state machine takes no frame after a GOAWAY and would not answer the
    PING of a graceful shutdown."""
    try:
        c = Conn(SimpleNamespace(host=a.host, port=a.port, tls=False,
                                 authority="%s:%d" % (a.host, a.port),
                                 path=a.path))
    except (OSError, Closed):
        time.sleep(0.05)
        return
    add("conns")
    dec = Decoder()
    open_ = {}              # stream id -> status (None until HEADERS)
    last = None             # the last stream id of the server's GOAWAY
    sid = 1
    try:
        while time.monotonic() < deadline:
            if last is None:
                out = []
                for _ in range(take(a.streams - len(open_))):
                    out.append(c.request(sid))
                    open_[sid] = None
                    sid += 2
                if out:
                    c.send(*out)
            if not open_ and (last is not None or count["left"] == 0):
                return
            f = c.next(max(0.1, deadline - time.monotonic()))
            if isinstance(f, PingFrame) and "ACK" not in f.flags:
                c.send(PingFrame(0, opaque_data=f.opaque_data,
                                 flags=["ACK"]))
            elif isinstance(f, HeadersFrame):
                fields = dict(dec.decode(f.data))
                if f.stream_id in open_ and open_[f.stream_id] is None:
                    open_[f.stream_id] = fields.get(":status",
                                                    fields.get(b":status"))
            elif isinstance(f, DataFrame) and f.flow_controlled_length:
                n = f.flow_controlled_length
                c.send(WindowUpdateFrame(0, window_increment=n),
                       WindowUpdateFrame(f.stream_id, window_increment=n))
            elif isinstance(f, RstStreamFrame) and f.stream_id in open_:
                del open_[f.stream_id]
                if f.error_code == REFUSED_STREAM:
                    give_back(1)
                else:
                    lost([f.stream_id], "reset %d" % f.error_code)
            elif isinstance(f, GoAwayFrame):
                last = f.last_stream_id
                above = [i for i in open_ if i > last]
                for i in above:
                    del open_[i]
                give_back(len(above))
            if (isinstance(f, (HeadersFrame, DataFrame)) and
                    "END_STREAM" in f.flags and f.stream_id in open_):
                st = open_.pop(f.stream_id)
                if st in ("200", b"200"):
                    add("done")
                    if started and count["done"] >= 100:
                        open(started, "a").close()
                else:
                    lost([f.stream_id], "status %s" % st)
    except (TimeoutError, OSError, Closed) as e:
        # What the server took (or may have taken: no GOAWAY seen) and did
        # not finish is lost.
        lost(list(open_), "connection ended (%s), last stream id %s" %
             (e or "EOF", last))
        open_.clear()
    finally:
        c.s.close()
    lost(list(open_), "out of time")


def worker(a, deadline, started):
    while time.monotonic() < deadline and count["left"] > 0:
        one_connection(a, deadline, started)


def stop_at(path, deadline):
    """--until: no new request once path exists."""
    while time.monotonic() < deadline:
        if os.path.exists(path):
            with lock:
                count["left"] = 0
            return
        time.sleep(0.05)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("host")
    p.add_argument("port", type=int)
    p.add_argument("path")
    p.add_argument("--conns", type=int, default=4)
    p.add_argument("--streams", type=int, default=8)
    p.add_argument("--requests", type=int, default=20000)
    p.add_argument("--seconds", type=float, default=60)
    p.add_argument("--started")
    p.add_argument("--until")
    a = p.parse_args()
    count["left"] = a.requests
    deadline = time.monotonic() + a.seconds
    if a.until:
        count["left"] = 1 << 40
        threading.Thread(target=stop_at, args=(a.until, deadline),
                         daemon=True).start()
    ts = [threading.Thread(target=worker, args=(a, deadline, a.started))
          for _ in range(a.conns)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    if a.until:
        a.requests = count["taken"] - count["retried"]
    failed = count["failed"] + (a.requests - count["done"] - count["failed"])
    print("done %d failed %d retried %d connections %d" %
          (count["done"], failed, count["retried"], count["conns"]))
    return 0 if count["done"] == a.requests and failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
