"""A WebSocket-style client of hsysd's Upgrade tunnels, for tests.

    tunnelclient.py SCENARIO PORT [--tls]

Connects to 127.0.0.1:PORT (through TLS with --tls, no verification),
sends an Upgrade: websocket request to the scenario's path on
tests/e2e/lib/echoapp.py and checks what comes back. Prints one "ok ..."
line per check and exits 0, or prints the failure and exits 1. Every wait
is bounded (socket timeouts) and so is every loop.
"""
import base64
import hashlib
import http.client
import json
import os
import socket
import ssl
import sys
import time

TIMEOUT = 20


def fail(msg):
    print("FAIL:", msg, flush=True)
    print("FAIL:", msg, file=sys.stderr, flush=True)
    sys.exit(1)


def ok(msg):
    print("ok", msg, flush=True)


def connect(port, tls, bufsize=None):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if bufsize:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, bufsize)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, bufsize)
    s.settimeout(TIMEOUT)
    s.connect(("127.0.0.1", port))
    if tls:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        s = ctx.wrap_socket(s, server_hostname="tunnel.test")
    return s


def handshake(s, path, early=b"", extra=b""):
    """Sends the upgrade request (with `early` tunnel bytes in the same
    write); returns (status, headers, bytes read past the head)."""
    key = base64.b64encode(os.urandom(16))
    s.sendall(b"GET " + path + b" HTTP/1.1\r\nHost: tunnel.test\r\n"
              b"Upgrade: websocket\r\nConnection: Upgrade\r\n"
              b"Sec-WebSocket-Key: " + key + b"\r\n"
              b"Sec-WebSocket-Version: 13\r\n" + extra + b"\r\n" + early)
    buf = b""
    while b"\r\n\r\n" not in buf:
        d = s.recv(65536)
        if not d:
            fail("EOF before the response head: %r" % buf)
        buf += d
    head, rest = buf.split(b"\r\n\r\n", 1)
    lines = head.split(b"\r\n")
    status = int(lines[0].split()[1])
    hdrs = {}
    for ln in lines[1:]:
        k, v = ln.split(b":", 1)
        hdrs[k.strip().lower().decode()] = v.strip().decode()
    want = base64.b64encode(hashlib.sha1(
        key + b"258EAFA5-E914-47DA-95CA-C5AB0DC11B80").digest()).decode()
    hdrs["_want_accept"] = want
    hdrs["_status_line"] = lines[0].decode()
    return status, hdrs, rest


def recv_exact(s, n, have=b""):
    buf = bytearray(have)
    while len(buf) < n:
        d = s.recv(min(1 << 20, n - len(buf)))
        if not d:
            fail("EOF after %d of %d bytes" % (len(buf), n))
        buf += d
    return bytes(buf)


def recv_eof(s, limit=1 << 20):
    """Reads until EOF; returns what came."""
    buf = b""
    while len(buf) <= limit:
        try:
            d = s.recv(65536)
        except (ConnectionResetError, ssl.SSLError):
            return buf
        if not d:
            return buf
        buf += d
    fail("no EOF after %d bytes" % len(buf))


def pump(s, data):
    """Sends data while reading its echo; returns the echo."""
    s.setblocking(False)
    sent, got = 0, bytearray()
    deadline = time.monotonic() + 60
    import selectors
    sel = selectors.DefaultSelector()
    sel.register(s, selectors.EVENT_READ | selectors.EVENT_WRITE)
    while len(got) < len(data):
        if time.monotonic() > deadline:
            fail("bulk echo: %d sent, %d back after 60 s" % (sent, len(got)))
        if sent == len(data):
            sel.modify(s, selectors.EVENT_READ)
        for _, ev in sel.select(1):
            if ev & selectors.EVENT_WRITE and sent < len(data):
                try:
                    sent += s.send(data[sent:sent + 65536])
                except (BlockingIOError, ssl.SSLWantWriteError,
                        ssl.SSLWantReadError):
                    pass
            if ev & selectors.EVENT_READ:
                try:
                    while True:
                        d = s.recv(1 << 20)
                        if not d:
                            fail("EOF in the bulk echo")
                        got += d
                except (BlockingIOError, ssl.SSLWantReadError,
                        ssl.SSLWantWriteError):
                    pass
    sel.close()
    s.settimeout(TIMEOUT)
    return bytes(got)


def s_echo(port, tls):
    s = connect(port, tls)
    status, h, rest = handshake(s, b"/app/ws", early=b"early")
    if status != 101:
        fail("status %d" % status)
    ok("101 Switching Protocols: %s" % h["_status_line"])
    if h.get("upgrade") != "websocket" or \
            h.get("connection", "").lower() != "upgrade":
        fail("Upgrade/Connection headers: %r" % h)
    ok("Upgrade: websocket and Connection: Upgrade")
    if h.get("sec-websocket-accept") != h["_want_accept"]:
        fail("Sec-WebSocket-Accept %r" % h)
    ok("the application's Sec-WebSocket-Accept")
    if "date" not in h or h.get("server") != "hsys":
        fail("Date/Server %r" % h)
    ok("Date and Server")
    if "content-length" in h or "transfer-encoding" in h:
        fail("framing headers on a 101: %r" % h)
    ok("no Content-Length or Transfer-Encoding")
    if recv_exact(s, 5, rest) != b"early":
        fail("the bytes sent with the head did not come back")
    ok("bytes sent with the request head are tunnelled")
    for msg in (b"ping", b"x" * 1000, bytes(range(256)) * 100):
        s.sendall(msg)
        if recv_exact(s, len(msg)) != msg:
            fail("echo of %d bytes" % len(msg))
    ok("echo both ways, three messages")
    # Other clients are served meanwhile, by the same worker or another.
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT) \
        if not tls else http.client.HTTPSConnection(
            "127.0.0.1", port, timeout=TIMEOUT,
            context=ssl._create_unverified_context())
    c.request("GET", "/app/other")
    if c.getresponse().status != 200:
        fail("another client was not served")
    c.close()
    ok("another client is served while the tunnel is open")
    data = os.urandom(6 << 20)
    if hashlib.sha256(pump(s, data)).digest() != \
            hashlib.sha256(data).digest():
        fail("the 6 MiB echo differs")
    ok("6 MiB through the tunnel and back, intact")
    if tls:
        s.close()
        return
    s.sendall(b"last")
    s.shutdown(socket.SHUT_WR)
    tail = recv_eof(s)
    if tail != b"last":
        fail("after our half-close: %r" % tail[:100])
    ok("client half-close: the echo still comes, then EOF")


def s_bounded(port, tls):
    """Pushes without reading: the tunnel must stall, bounded."""
    s = connect(port, tls, bufsize=65536)
    status, _, rest = handshake(s, b"/app/ws")
    if status != 101 or rest:
        fail("status %d" % status)
    s.setblocking(False)
    block = os.urandom(65536)
    sent, last_progress = 0, time.monotonic()
    limit = 64 << 20
    # Through TLS a send that raises "want write" may already have put
    # some of the block's records on the wire (Python does not enable
    # partial writes, so they are counted only when a retry completes).
    # Those bytes come back too: up to one block more than `sent`.
    pending = False
    while sent < limit and time.monotonic() - last_progress < 3:
        try:
            n = s.send(block)
            sent += n
            pending = False
            last_progress = time.monotonic()
        except (BlockingIOError, ssl.SSLWantWriteError,
                ssl.SSLWantReadError):
            pending = tls
            time.sleep(0.01)
    print("# accepted %d bytes before stalling" % sent, flush=True)
    if sent >= limit:
        fail("64 MiB went in without the client reading: no back-pressure")
    ok("a client that does not read is stopped (%d MiB in flight)" %
       (sent >> 20))
    s.settimeout(TIMEOUT)
    got = 0
    while got < sent:
        d = s.recv(1 << 20)
        if not d:
            fail("EOF while draining")
        got += len(d)
    if pending:
        s.settimeout(1)
        try:
            while got < sent + len(block):
                d = s.recv(1 << 20)
                if not d:
                    break
                got += len(d)
        except (socket.timeout, ssl.SSLWantReadError):
            pass
    most = sent + (len(block) if pending else 0)
    if not sent <= got <= most:
        fail("drained %d of %d (%d at most)" % (got, sent, most))
    ok("and everything comes back once it reads")
    s.close()


def s_die(port, tls):
    s = connect(port, tls)
    status, _, _ = handshake(s, b"/app/wsdie")
    if status != 101:
        fail("status %d" % status)
    t = time.monotonic()
    s.sendall(b"boom")
    recv_eof(s)
    ok("the application dies mid-tunnel: the client is closed (%.1f s)" %
       (time.monotonic() - t))


def s_bye(port, tls):
    s = connect(port, tls)
    status, _, rest = handshake(s, b"/app/wsbye")
    if status != 101:
        fail("status %d" % status)
    got = rest + recv_eof(s, 100)
    if got != b"bye":
        fail("no bye then EOF: %r" % got)
    ok("the application's END: its bytes, then EOF")
    s.sendall(b"z" * 1000)
    if tls:
        s.close()
        return
    s.shutdown(socket.SHUT_WR)
    ok("the client still sends after the application's END")
    s.settimeout(5)
    if recv_eof(s, 0) != b"":
        fail("bytes after EOF")
    s.close()


def s_plain(port, tls):
    """Upgrade to a path the application answers normally, twice on one
    connection, then an Upgrade with a body."""
    s = connect(port, tls)
    for i in range(2):
        status, h, rest = handshake(s, b"/app/plain")
        n = int(h.get("content-length", "-1"))
        body = json.loads(recv_exact(s, n, rest))
        if status != 200 or not body["flags"] & 0x10:
            fail("plain answer %d flags %x" % (status, body["flags"]))
    ok("an Upgrade request answered 200 leaves the connection HTTP")
    status, h, rest = handshake(s, b"/app/plain",
                                extra=b"Content-Length: 3\r\n", early=b"abc")
    body = json.loads(recv_exact(s, int(h["content-length"]), rest))
    if status != 200 or body["flags"] & 0x10 or body["body_len"] != 3:
        fail("upgrade with a body: %d %r" % (status, body))
    ok("an Upgrade with a body is a plain request (no UPGRADE flag)")
    s.close()


def main():
    scenario, port = sys.argv[1], int(sys.argv[2])
    tls = "--tls" in sys.argv[3:]
    {"echo": s_echo, "bounded": s_bounded, "die": s_die, "bye": s_bye,
     "plain": s_plain}[scenario](port, tls)


if __name__ == "__main__":
    main()
