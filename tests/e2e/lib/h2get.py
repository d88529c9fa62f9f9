#!/usr/bin/python3
"""h2get — one HTTP/2 request with Python h2 (python3-h2), for tests that
need to see what curl hides or to send what curl will not.

    h2get.py HOST PORT PATH [--tls] [--authority NAME] [--method M]
             [--header NAME:VALUE]... [--data BYTES] [--timeout S]

Prints one JSON object: the server's SETTINGS, the response's status,
headers, trailers (the HEADERS that ended the stream after DATA), the body
(as text, at most 4 KiB of it) and its length, and how the stream ended
("end", "reset CODE" or "goaway LAST_ID CODE"). Field names and values are
sent as given, in order: repeated --header cookie:... go as separate fields.
"""
import argparse
import json
import socket
import ssl
import sys
import time

import h2.config
import h2.connection
import h2.events


def connect(a):
    s = socket.create_connection((a.host, a.port), timeout=a.timeout)
    if a.tls:
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        ctx.set_alpn_protocols(["h2"])
        s = ctx.wrap_socket(s, server_hostname=a.authority.split(":")[0])
        if s.selected_alpn_protocol() != "h2":
            raise SystemExit("h2get: ALPN did not select h2")
    return s


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("host")
    ap.add_argument("port", type=int)
    ap.add_argument("path")
    ap.add_argument("--tls", action="store_true")
    ap.add_argument("--authority")
    ap.add_argument("--method", default="GET")
    ap.add_argument("--header", action="append", default=[])
    ap.add_argument("--data")
    ap.add_argument("--timeout", type=float, default=10)
    a = ap.parse_args()
    a.authority = a.authority or "%s:%d" % (a.host, a.port)
    s = connect(a)
    c = h2.connection.H2Connection(h2.config.H2Configuration(
        client_side=True, header_encoding="utf-8",
        validate_outbound_headers=False, normalize_outbound_headers=False))
    c.initiate_connection()
    fields = [(":method", a.method), (":scheme", "https" if a.tls else
                                      "http"),
              (":authority", a.authority), (":path", a.path)]
    fields += [tuple(h.split(":", 1)) for h in a.header]
    sid = c.get_next_available_stream_id()
    c.send_headers(sid, fields, end_stream=a.data is None)
    if a.data is not None:
        c.send_data(sid, a.data.encode(), end_stream=True)
    s.sendall(c.data_to_send())
    out = {"settings": {}, "status": None, "headers": [], "trailers": [],
           "body": "", "body_len": 0, "end": None}
    body = bytearray()
    deadline = time.monotonic() + a.timeout
    while out["end"] is None and time.monotonic() < deadline:
        try:
            d = s.recv(65536)
        except socket.timeout:
            break
        if not d:
            out["end"] = out["end"] or "closed"
            break
        for ev in c.receive_data(d):
            if isinstance(ev, h2.events.RemoteSettingsChanged):
                out["settings"].update({int(k): v.new_value
                                        for k, v in ev.changed_settings.items()})
            elif isinstance(ev, h2.events.ResponseReceived):
                hs = [[k, v] for k, v in ev.headers]
                out["status"] = int(dict(hs)[":status"])
                out["headers"] = [h for h in hs if h[0] != ":status"]
            elif isinstance(ev, h2.events.InformationalResponseReceived):
                out.setdefault("interim", []).append(
                    int(dict(ev.headers)[":status"]))
            elif isinstance(ev, h2.events.TrailersReceived):
                out["trailers"] = [[k, v] for k, v in ev.headers]
            elif isinstance(ev, h2.events.DataReceived):
                body += ev.data
                c.acknowledge_received_data(ev.flow_controlled_length,
                                            ev.stream_id)
            elif isinstance(ev, h2.events.StreamEnded):
                out["end"] = "end"
            elif isinstance(ev, h2.events.StreamReset):
                out["end"] = "reset %d" % ev.error_code
            elif isinstance(ev, h2.events.ConnectionTerminated):
                out["end"] = out["end"] or "goaway %d %d" % (
                    ev.last_stream_id, ev.error_code)
        s.sendall(c.data_to_send())
    out["body_len"] = len(body)
    out["body"] = body[:4096].decode("utf-8", "replace")
    print(json.dumps(out))
    return 0 if out["end"] == "end" else 1


if __name__ == "__main__":
    sys.exit(main())
