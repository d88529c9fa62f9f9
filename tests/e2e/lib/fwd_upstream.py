#!/usr/bin/python3
"""Upstreams for the hsys-forward tests (tests/e2e/forward_*.sh).

  fwd_upstream.py http (--tcp PORT | --unix PATH)
      a keep-alive HTTP/1.1 server (the standard library's http.server):
      /headers   the request line and fields, as text
      /upload    reads the body (Content-Length or chunked): "LEN SHA256"
      /big?n=N   N bytes of a repeating pattern, Content-Length framed
      /chunked   a chunked response of three pieces
      /trailers  a chunked response with a trailer section (grpc-status,
                 x-checksum, and a Content-Type a trailer may not carry)
      /slow      answers after 5 seconds (?s=N: after N)
      /drip      a chunked response: "first", then 4 seconds later "last"
  fwd_upstream.py raw --tcp PORT
      answers by path with broken framing: /conflict, /clte, /badchunk,
      /fold, /badstatus, /bare-lf; /reset resets the connection; anything
      else is a good response
"""
import hashlib
import http.server
import os
import socket
import socketserver
import struct
import sys
import threading
import time


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def send(self, body, ctype="text/plain"):
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def read_body(self):
        h = hashlib.sha256()
        total = 0
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            while True:
                size = int(self.rfile.readline().split(b";")[0], 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b""):
                        pass
                    break
                left = size
                while left:
                    b = self.rfile.read(min(left, 65536))
                    h.update(b)
                    left -= len(b)
                total += size
                self.rfile.readline()
        else:
            left = int(self.headers.get("Content-Length", "0"))
            while left:
                b = self.rfile.read(min(left, 65536))
                if not b:
                    break
                h.update(b)
                left -= len(b)
                total += len(b)
        return total, h.hexdigest()

    def do_GET(self):
        path, _, query = self.path.partition("?")
        if path.endswith("/headers"):
            lines = [self.requestline] + [
                "%s: %s" % (k, v) for k, v in self.headers.items()]
            return self.send(("\n".join(lines) + "\n").encode())
        if path.endswith("/big"):
            n = int(query.split("=")[1])
            self.send_response(200)
            self.send_header("Content-Length", str(n))
            self.end_headers()
            block = bytes(range(256)) * 256
            while n:
                k = min(n, len(block))
                self.wfile.write(block[:k])
                n -= k
            return
        if path.endswith("/chunked"):
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for piece in (b"one ", b"two ", b"three\n"):
                self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            self.wfile.write(b"0\r\n\r\n")
            return
        if path.endswith("/trailers"):
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.send_header("Trailer", "grpc-status, x-checksum")
            self.end_headers()
            self.wfile.write(b"6\r\nhello \r\n9\r\ntrailers\n\r\n0\r\n"
                             b"grpc-status: 0\r\nX-Checksum: abc123\r\n"
                             b"Content-Type: text/evil\r\n\r\n")
            return
        if path.endswith("/drip"):
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            self.wfile.write(b"6\r\nfirst\n\r\n")
            time.sleep(4)
            self.wfile.write(b"5\r\nlast\n\r\n0\r\n\r\n")
            return
        if path.endswith("/slow"):
            time.sleep(float(query[2:]) if query.startswith("s=") else 5)
        return self.send(b"upstream " + path.encode() + b"\n")

    do_HEAD = do_GET

    def do_POST(self):
        total, digest = self.read_body()
        self.send(("%d %s\n" % (total, digest)).encode())

    do_PUT = do_POST


class TCPServer(http.server.ThreadingHTTPServer):
    daemon_threads = True


class UnixServer(socketserver.ThreadingUnixStreamServer):
    daemon_threads = True

    def get_request(self):
        sock, _ = self.socket.accept()
        return sock, ("127.0.0.1", 0)


BROKEN = {
    "/conflict": b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n"
                 b"Content-Length: 6\r\n\r\nhello!",
    "/clte": b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n"
             b"Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
    "/badchunk": b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                 b"zz\r\nhello\r\n0\r\n\r\n",
    "/fold": b"HTTP/1.1 200 OK\r\nX-A: one\r\n two\r\n"
             b"Content-Length: 2\r\n\r\nok",
    "/badstatus": b"HTTP/1.1 2000 OK\r\nContent-Length: 2\r\n\r\nok",
    "/bare-lf": b"HTTP/1.1 200 OK\nContent-Length: 2\n\nok",
}
GOOD = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\ngood\n"


def raw_conn(c):
    buf = b""
    with c:
        while True:
            while b"\r\n\r\n" not in buf:
                b = c.recv(65536)
                if not b:
                    return
                buf += b
            head, _, buf = buf.partition(b"\r\n\r\n")
            path = head.split(b" ")[1].decode()
            path = "/" + path.rstrip("/").rsplit("/", 1)[-1]
            if path == "/reset":
                c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                             struct.pack("ii", 1, 0))
                return
            c.sendall(BROKEN.get(path, GOOD))


def raw(port):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", port))
    s.listen(64)
    while True:
        c, _ = s.accept()
        threading.Thread(target=raw_conn, args=(c,), daemon=True).start()


def main():
    mode, how, where = sys.argv[1], sys.argv[2], sys.argv[3]
    if mode == "raw":
        return raw(int(where))
    if how == "--unix":
        if os.path.exists(where):
            os.unlink(where)
        UnixServer(where, Handler).serve_forever()
    else:
        TCPServer(("127.0.0.1", int(where)), Handler).serve_forever()


if __name__ == "__main__":
    main()
