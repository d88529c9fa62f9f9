"""pyagree — the Python package's codec (bindings/python/hsys/protocol.py)
playing hsysd to libhsys, whose codec is C (src/proto, src/lib), so that
the two cannot drift apart silently. Run by test_lib_pyagree.c, which
checks what libhsys decoded from frames encoded here; this checks what it
decoded from frames libhsys encoded, and exits 0 when all agreed, else 1
with the reasons on stderr (2: nobody came).

The other pairing, hsysd's C against the package, runs in
tests/e2e/python_client.sh.
"""
import os
import select
import socket
import sys
import time

from hsys import protocol as P

SESSION, KEY = 0x0123456789ABCDEF, bytes(range(16))
WINDOW, MAX_FRAME = 65536, 16384
RID = 0x55AA
CERT = bytes(range(200))
problems = []


def check(what, got, want):
    if got != want:
        problems.append("%s: got %r, want %r" % (what, got, want))


class Peer:
    def __init__(self, sock):
        self.s, self.buf = sock, b""

    def frames(self, wait=5.0):
        """The whole frames that arrive within `wait` seconds (or sooner:
        once some came)."""
        end = time.monotonic() + wait
        while time.monotonic() < end:
            got, used = P.frames(self.buf)
            if got:
                out = [(t, fl, i, bytes(p)) for t, fl, i, p in got]
                self.buf = self.buf[used:]
                return out
            r, _, _ = select.select([self.s], [], [], 0.1)
            if r:
                d = self.s.recv(1 << 20)
                if not d:
                    return None
                self.buf += d
        return []

    def send(self, *frames):
        self.s.sendall(b"".join(frames))


def one(peer, want_type, what):
    fs = peer.frames()
    if not fs:
        problems.append("%s: nothing came" % what)
        return None
    t, fl, i, p = fs[0]
    # Frames that came with it go back for the next call.
    peer.buf = b"".join(P.frame(f[0], f[2], f[3], f[1])
                        for f in fs[1:]) + peer.buf
    check(what + ": type", t, want_type)
    return fl, i, p


def main():
    home = os.environ["HSYS_HOME"]
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(os.path.join(home, "hsysd.sock"))
    srv.listen(4)
    srv.settimeout(10)
    try:
        ctl = Peer(srv.accept()[0])
    except socket.timeout:
        return 2
    fl, fid, p = one(ctl, P.HELLO, "HELLO")
    h = P.parse_hello(p)
    check("HELLO magic", h["magic"], P.MAGIC)
    check("HELLO versions", (h["min_version"], h["max_version"]), (1, 1))
    check("HELLO name", h["name"], b"agree-app")
    check("HELLO understands GOAWAY", h["flags"] & P.HELLO_F_GOAWAY, 1)
    ctl.send(P.frame(P.WELCOME, 0, P.welcome(
        workers=1, max_frame=MAX_FRAME, window=WINDOW, session=SESSION,
        key=KEY, generation=9)))
    ch = Peer(srv.accept()[0])
    fl, fid, p = one(ch, P.CHANNEL, "CHANNEL")
    check("CHANNEL", p, P.channel(SESSION, KEY, 0))

    # Queue operations, answered as hsysd would.
    fl, op, p = one(ctl, P.QUEUE_CREATE, "QUEUE_CREATE")
    check("QUEUE_CREATE", p, P.queue_create("agreeq"))
    ctl.send(P.frame(P.OK, op, (5).to_bytes(4, "little")))
    fl, op, p = one(ctl, P.QUEUE_SET, "QUEUE_SET")
    check("QUEUE_SET", p, P.queue_set(5, P.QUEUE_LENGTH, 77))
    ctl.send(P.frame(P.OK, op))
    fl, op, p = one(ctl, P.PREFIX_ADD, "PREFIX_ADD")
    check("PREFIX_ADD", p, P.prefix_op(5, "https://+:8443/agree/"))
    ctl.send(P.frame(P.OK, op))
    fl, op, p = one(ctl, P.PREFIX_ADD, "PREFIX_ADD refused")
    check("PREFIX_ADD refused", p, P.prefix_op(5, "http://+:1/refused/"))
    ctl.send(P.frame(P.ERROR, op, P.error(13, "no reservation lets uid 0 "
                                          "listen on http://+:1/refused/")))

    # A request with every field, a body in two frames, trailers.
    head = b"PROPFIND /agree/a%20b?x=1 HTTP/1.1\r\nHost: h.test:8443\r\n"
    ch.send(P.frame(P.REQUEST, RID, P.request(
        queue_id=5, method="PROPFIND", raw_url="/agree/a%20b?x=1",
        path="/agree/a b", query="x=1", host="h.test:8443",
        prefix="https://+:8443/agree/",
        headers=[("Host", "h.test:8443"), ("X-Dup", "1"), ("X-Dup", "2"),
                 ("Transfer-Encoding", "chunked")],
        flags=P.REQ_BODY | P.REQ_CHUNKED | P.REQ_KEEPALIVE | P.REQ_TLS |
        P.REQ_CLIENT_CERT, connection_id=0x1122334455667788,
        peer=("192.0.2.7", 4321), local=("2001:db8::1", 8443),
        tls="TLSv1.3 TLS_AES_256_GCM_SHA384 X25519", sni="h.test",
        client_cert=CERT, head=head)),
        P.frame(P.REQ_DATA, RID, b"hello "),
        P.frame(P.REQ_DATA, RID, b"world"),
        P.frame(P.REQ_DATA, RID, P.trailers([("X-Sum", "42"),
                                             ("X-Note", "a b")]),
                P.F_TRAILERS | P.F_END))

    # What libhsys answers: credit, the response, its body.
    credit, status, body, ended = 0, None, b"", False
    end = time.monotonic() + 10
    while not ended and time.monotonic() < end:
        fs = ch.frames(1.0)
        if fs is None:
            problems.append("the channel closed before the response ended")
            break
        for t, fl, i, p in fs:
            check("frame id", i, RID)
            if t == P.REQ_CREDIT:
                credit += P.parse_credit(p)
            elif t == P.RESPONSE:
                r = P.parse_response(p)
                status = r["status"]
                check("RESPONSE headers", r["headers"],
                      [(b"X-A", b"1"), (b"X-B", b"two words")])
                check("RESPONSE flags", r["flags"], 0)
            elif t == P.RESP_DATA:
                body += p
                ended = bool(fl & P.F_END)
            else:
                problems.append("unexpected frame type 0x%x" % t)
    check("RESPONSE status", status, 299)
    check("RESP_DATA bytes", body, b"agreed: hello world")
    check("REQ_CREDIT credits no more than was read", credit <= 11, True)
    check("END", ended, True)
    fl, op, p = one(ctl, P.QUEUE_CLOSE, "QUEUE_CLOSE")
    check("QUEUE_CLOSE", p, P.queue_close(5))
    ctl.send(P.frame(P.OK, op))
    for p in problems:
        print("pyagree: " + p, file=sys.stderr)
    return 1 if problems else 0


sys.exit(main())
