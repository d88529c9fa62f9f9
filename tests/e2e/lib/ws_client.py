#!/usr/bin/python3
"""Clients of hsys-websocket for tests/e2e/example_websocket.sh.

  ws_client.py HOST PORT PATH CA

Talks to wss://HOST:PORT/PATH twice: with python3-websockets (Debian's,
a client nobody here wrote) for what a real client does, and with a raw
TLS socket for what a real client never sends (unmasked frames, oversize
frames, bad UTF-8). Prints one "ok - ..." or "not ok - ..." line per check.
"""
import asyncio
import base64
import os
import socket
import ssl
import struct
import sys

import websockets

HOST, PORT, PATH, CA = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
URL = "wss://%s:%d%s" % (HOST, PORT, PATH)


def check(what, cond):
    print(("ok - " if cond else "not ok - ") + what, flush=True)


def ctx():
    return ssl.create_default_context(cafile=CA)


async def library():
    async with websockets.connect(URL, ssl=ctx(), max_size=None,
                                  open_timeout=10) as ws:
        await ws.send("hello, wörld")
        check("a text message comes back as text",
              await asyncio.wait_for(ws.recv(), 10) == "hello, wörld")
        await ws.send(b"\x00\x01\xfe\xff")
        check("a binary message comes back as binary",
              await asyncio.wait_for(ws.recv(), 10) == b"\x00\x01\xfe\xff")
        big = os.urandom(1 << 20)
        await ws.send(big)
        check("a 1 MiB message comes back whole",
              await asyncio.wait_for(ws.recv(), 30) == big)
        await ws.send(["frag", "mented ", "text"])
        check("a text message in three fragments comes back as one",
              await asyncio.wait_for(ws.recv(), 10) == "fragmented text")
        await ws.send([b"\x01" * 70000, b"\x02" * 70000])
        check("a binary message in two 70 kB fragments comes back as one",
              await asyncio.wait_for(ws.recv(), 10) ==
              b"\x01" * 70000 + b"\x02" * 70000)
        await ws.send("")
        check("an empty message comes back",
              await asyncio.wait_for(ws.recv(), 10) == "")
        pong = await ws.ping(b"are you there")
        await asyncio.wait_for(pong, 10)
        check("a ping gets its pong", True)
        await ws.close(4000, "bye")
        check("a close is answered with the client's code",
              ws.close_code == 4000)


async def concurrent():
    """Two connections open at once, served by the example's one thread."""
    async with websockets.connect(URL, ssl=ctx(), open_timeout=10) as a, \
            websockets.connect(URL, ssl=ctx(), open_timeout=10) as b:
        await b.send("to b")
        await a.send("to a")
        got_a = await asyncio.wait_for(a.recv(), 10)
        got_b = await asyncio.wait_for(b.recv(), 10)
        check("two open connections are each echoed their own message",
              (got_a, got_b) == ("to a", "to b"))


# --- raw frames ---------------------------------------------------------

def frame(op, payload, fin=True, mask=True, rsv=0):
    b0 = (0x80 if fin else 0) | rsv | op
    n = len(payload)
    if n < 126:
        hd = struct.pack("!BB", b0, (0x80 if mask else 0) | n)
    elif n < 65536:
        hd = struct.pack("!BBH", b0, (0x80 if mask else 0) | 126, n)
    else:
        hd = struct.pack("!BBQ", b0, (0x80 if mask else 0) | 127, n)
    if not mask:
        return hd + payload
    key = os.urandom(4)
    return hd + key + bytes(c ^ key[i & 3] for i, c in enumerate(payload))


class Raw:
    def __init__(self, key=None, version="13"):
        s = socket.create_connection((HOST, PORT), timeout=10)
        self.s = ctx().wrap_socket(s, server_hostname=HOST)
        self.key = key or base64.b64encode(os.urandom(16)).decode()
        req = ("GET %s HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\n"
               "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
               % (PATH, HOST, PORT, self.key))
        if version:
            req += "Sec-WebSocket-Version: %s\r\n" % version
        self.s.sendall((req + "\r\n").encode())
        self.buf = b""
        while b"\r\n\r\n" not in self.buf:
            d = self.s.recv(4096)
            if not d:
                break
            self.buf += d
        head, _, self.buf = self.buf.partition(b"\r\n\r\n")
        self.head = head.decode("latin-1")
        self.status = int(self.head.split()[1]) if self.head else 0

    def header(self, name):
        for line in self.head.split("\r\n")[1:]:
            k, _, v = line.partition(":")
            if k.strip().lower() == name.lower():
                return v.strip()
        return None

    def need(self, n):
        while len(self.buf) < n:
            d = self.s.recv(65536)
            if not d:
                raise EOFError
            self.buf += d
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def read_frame(self):
        b0, b1 = self.need(2)
        n = b1 & 0x7f
        if n == 126:
            n = struct.unpack("!H", self.need(2))[0]
        elif n == 127:
            n = struct.unpack("!Q", self.need(8))[0]
        return b0 & 0x0f, b0 & 0x80, self.need(n)

    def close_code(self):
        """The code of the server's close frame, skipping other frames."""
        while True:
            op, _, p = self.read_frame()
            if op == 0x8:
                return struct.unpack("!H", p[:2])[0] if len(p) >= 2 else 0

    def eof(self):
        try:
            return self.s.recv(1) == b""
        except (ssl.SSLError, OSError):
            return True


def raw():
    r = Raw(key="dGhlIHNhbXBsZSBub25jZQ==")
    check("the handshake answers 101", r.status == 101)
    check("Sec-WebSocket-Accept is RFC 6455's worked example",
          r.header("Sec-WebSocket-Accept") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
    check("Upgrade: websocket", (r.header("Upgrade") or "").lower() ==
          "websocket")
    r.s.sendall(frame(0x1, b"one ", fin=False) + frame(0x9, b"p") +
                frame(0x0, b"two", fin=True))
    op, fin, p = r.read_frame()
    check("a ping between fragments is answered at once", (op, p) ==
          (0xa, b"p"))
    op, fin, p = r.read_frame()
    check("and the message is whole", (op, bool(fin), p) ==
          (0x1, True, b"one two"))
    r.s.sendall(frame(0x1, b"unmasked", mask=False))
    check("an unmasked client frame is refused with 1002",
          r.close_code() == 1002)
    check("then the connection is closed", r.eof())

    r = Raw()
    r.s.sendall(struct.pack("!BBQ", 0x82, 0xff, 32 << 20) + b"\0\0\0\0")
    check("a 32 MiB frame (limit 16 MiB) is refused with 1009 before its "
          "payload", r.close_code() == 1009)

    r = Raw()
    r.s.sendall(frame(0x1, b"\xc3\x28 not utf-8"))
    check("text that is not UTF-8 is refused with 1007",
          r.close_code() == 1007)

    r = Raw()
    r.s.sendall(frame(0x0, b"nothing to continue"))
    check("a continuation with no message is refused with 1002",
          r.close_code() == 1002)

    r = Raw()
    r.s.sendall(frame(0x1, b"x", rsv=0x40))
    check("a reserved bit (no extension) is refused with 1002",
          r.close_code() == 1002)

    r = Raw()
    r.s.sendall(frame(0x9, b"x" * 126))
    check("a control frame over 125 bytes is refused with 1002",
          r.close_code() == 1002)

    r = Raw()
    r.s.sendall(frame(0x8, struct.pack("!H", 1000)))
    check("a client's close 1000 is answered 1000", r.close_code() == 1000)
    check("and the server closes the connection", r.eof())

    r = Raw(version="8")
    check("another protocol version is answered 426", r.status == 426)
    check("naming version 13", r.header("Sec-WebSocket-Version") == "13")


try:
    asyncio.run(library())
except Exception as e:
    check("python websockets ran to its end (%r)" % e, False)
try:
    asyncio.run(concurrent())
except Exception as e:
    check("two connections at once (%r)" % e, False)
try:
    raw()
except Exception as e:
    check("the raw client ran to its end (%r)" % e, False)
