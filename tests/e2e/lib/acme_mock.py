"""acme_mock — a tiny ACME server for what pebble cannot show: it answers
the directory and nonces, and refuses new-account with the problem and
Retry-After the test asks for (rateLimited, 429), or answers slowly.

    acme_mock.py PORT CERT KEY MODE     MODE: ratelimit | slow
"""
import http.server
import json
import ssl
import sys
import time

PORT, CERT, KEY, MODE = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
BASE = "https://127.0.0.1:%d" % PORT


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def send(self, status, body=b"", ctype="application/json", extra=()):
        self.send_response(status)
        self.send_header("Replay-Nonce", "nonce-%f" % time.time())
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def do_HEAD(self):
        self.send(200)

    def do_GET(self):
        if self.path != "/dir":
            return self.send(404)
        if MODE == "slow":
            time.sleep(30)
        d = {"newNonce": BASE + "/nonce", "newAccount": BASE + "/acct",
             "newOrder": BASE + "/order"}
        self.send(200, json.dumps(d).encode())

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        p = {"type": "urn:ietf:params:acme:error:rateLimited",
             "detail": "too many new accounts from this address"}
        self.send(429, json.dumps(p).encode(), "application/problem+json",
                  [("Retry-After", "3600")])


ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(CERT, KEY)
srv = http.server.ThreadingHTTPServer(("127.0.0.1", PORT), Handler)
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
srv.daemon_threads = True
print("ready", flush=True)
srv.serve_forever()
