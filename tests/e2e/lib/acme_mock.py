"""acme_mock — a tiny ACME server for what pebble cannot show.

    acme_mock.py PORT CERT KEY MODE

MODE ratelimit: new-account is refused with rateLimited (429) and
Retry-After. slow: the directory takes 30 seconds. order: a whole order
whose authorization is already valid, and whose finalization is
"processing" with Retry-After: 2 on the first poll; the next poll's delay
is printed ("waited N"). ari: the same order, and the directory offers
renewalInfo (RFC 9773), whose suggestedWindow for any certificate is
2030-01-01T00:00:00Z to 2030-01-02T00:00:00Z; the certificate identifier
asked for is printed ("ari ID"). CERT/KEY also sign the CSR (with openssl).
"""
import base64
import http.server
import json
import os
import ssl
import subprocess
import sys
import tempfile
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
        if MODE == "ari" and self.path.startswith("/renewal-info/"):
            print("ari", self.path[len("/renewal-info/"):], flush=True)
            w = {"suggestedWindow": {"start": "2030-01-01T00:00:00Z",
                                     "end": "2030-01-02T00:00:00Z"}}
            return self.send(200, json.dumps(w).encode(),
                             extra=[("Retry-After", "21600")])
        if self.path != "/dir":
            return self.send(404)
        if MODE == "slow":
            time.sleep(30)
        d = {"newNonce": BASE + "/nonce", "newAccount": BASE + "/acct",
             "newOrder": BASE + "/order"}
        if MODE == "ari":
            d["renewalInfo"] = BASE + "/renewal-info"
        self.send(200, json.dumps(d).encode())

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if MODE in ("order", "ari"):
            return self.order(json.loads(body))
        p = {"type": "urn:ietf:params:acme:error:rateLimited",
             "detail": "too many new accounts from this address"}
        self.send(429, json.dumps(p).encode(), "application/problem+json",
                  [("Retry-After", "3600")])


    def order(self, jws):
        path, st = self.path, STATE
        order = {"status": "ready", "finalize": BASE + "/finalize/1",
                 "authorizations": [BASE + "/authz/1"]}
        if path == "/acct":
            return self.send(201, b'{"status":"valid"}',
                             extra=[("Location", BASE + "/acct/1")])
        if path == "/order":
            return self.send(201, json.dumps(order).encode(),
                             extra=[("Location", BASE + "/order/1")])
        if path == "/authz/1":
            a = {"status": "valid", "identifier": {"type": "dns",
                 "value": "mock.example.test"}, "challenges": []}
            return self.send(200, json.dumps(a).encode())
        if path == "/finalize/1":
            st["cert"] = sign(jws)
            order["status"] = "processing"
            return self.send(200, json.dumps(order).encode())
        if path == "/order/1" and "cert" in st and "polled" not in st:
            st["polled"] = time.time()
            order["status"] = "processing"
            return self.send(200, json.dumps(order).encode(),
                             extra=[("Retry-After", "2")])
        if path == "/order/1" and "polled" in st:
            if "waited" not in st:
                st["waited"] = time.time() - st["polled"]
                print("waited %.1f" % st["waited"], flush=True)
            order["status"] = "valid"
            order["certificate"] = BASE + "/cert/1"
            return self.send(200, json.dumps(order).encode())
        if path == "/order/1":
            return self.send(200, json.dumps(order).encode())
        if path == "/cert/1":
            return self.send(200, st["cert"] + open(CERT, "rb").read(),
                             "application/pem-certificate-chain")
        self.send(404)


def b64d(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def sign(jws):
    """The CSR of a finalize request, signed by CERT/KEY, as PEM."""
    csr = b64d(json.loads(b64d(jws["payload"]))["csr"])
    with tempfile.TemporaryDirectory() as d:
        open(os.path.join(d, "csr.der"), "wb").write(csr)
        return subprocess.run(
            ["openssl", "x509", "-req", "-inform", "DER", "-in",
             os.path.join(d, "csr.der"), "-CA", CERT, "-CAkey", KEY,
             "-days", "2", "-copy_extensions", "copy"],
            check=True, capture_output=True).stdout


STATE = {}
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(CERT, KEY)
srv = http.server.ThreadingHTTPServer(("127.0.0.1", PORT), Handler)
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
srv.daemon_threads = True
print("ready", flush=True)
srv.serve_forever()
