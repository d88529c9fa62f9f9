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

Every newOrder is printed ("neworder replaces=ID", or "neworder" alone). In
ari mode, `replaces` is checked: it must name a certificate this server
issued, not replaced yet (else 400 malformed or 409 alreadyReplaced), and a
new order for names already issued must carry it (else 400).

With ACME_MOCK_CTL=DIR, files there steer it while it runs: DIR/window
holds "ID START END" (RFC 3339), the suggestedWindow of certificate ID from
then on (the CA moving its window, as after a revocation event); while
DIR/ratelimit exists, newOrder is refused with rateLimited (429) and
Retry-After: 7200; while DIR/hold exists, a finalized order stays
"processing" (Retry-After: 1), so that a test can act while it runs.
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
CTL = os.environ.get("ACME_MOCK_CTL", "")
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
            start, end = window(self.path[len("/renewal-info/"):])
            w = {"suggestedWindow": {"start": start, "end": end}}
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
            return self.new_order(json.loads(b64d(jws["payload"])), order)
        if path == "/authz/1":
            a = {"status": "valid", "identifier": {"type": "dns",
                 "value": "mock.example.test"}, "challenges": []}
            return self.send(200, json.dumps(a).encode())
        if path == "/finalize/1":
            st["cert"] = sign(jws)
            ISSUED[cert_id(st["cert"])] = st["names"]
            order["status"] = "processing"
            return self.send(200, json.dumps(order).encode())
        if path == "/order/1" and "cert" in st and CTL and \
                os.path.exists(os.path.join(CTL, "hold")):
            order["status"] = "processing"
            return self.send(200, json.dumps(order).encode(),
                             extra=[("Retry-After", "1")])
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

    def problem(self, status, kind, detail, extra=()):
        p = {"type": "urn:ietf:params:acme:error:" + kind, "detail": detail}
        self.send(status, json.dumps(p).encode(),
                  "application/problem+json", extra)

    def new_order(self, payload, order):
        names = sorted(i["value"] for i in payload["identifiers"])
        rep = payload.get("replaces")
        print("neworder" + (" replaces=" + rep if rep else ""), flush=True)
        if CTL and os.path.exists(os.path.join(CTL, "ratelimit")):
            return self.problem(429, "rateLimited", "too many certificates "
                                "for these names", [("Retry-After", "7200")])
        if MODE == "ari" and rep is not None:
            if rep in REPLACED:
                return self.problem(409, "alreadyReplaced",
                                    "%s was replaced already" % rep)
            if rep not in ISSUED:
                return self.problem(400, "malformed", "replaces names no "
                                    "certificate this server issued: " + rep)
            REPLACED.add(rep)
        elif MODE == "ari" and names in ISSUED.values():
            return self.problem(400, "malformed", "a renewal must say what "
                                "it replaces (RFC 9773)")
        STATE.clear()
        STATE["names"] = names
        self.send(201, json.dumps(order).encode(),
                  extra=[("Location", BASE + "/order/1")])


def window(cid):
    """cid's suggestedWindow: DIR/window's, else 2030-01-01 for a day."""
    try:
        wid, start, end = open(os.path.join(CTL, "window")).read().split()
        if wid == cid:
            return start, end
    except (OSError, ValueError):
        pass
    return "2030-01-01T00:00:00Z", "2030-01-02T00:00:00Z"


def b64u(b):
    return base64.urlsafe_b64encode(b).decode().rstrip("=")


def cert_id(pem):
    """ARI's identifier (RFC 9773 4.1): AKI keyIdentifier . serial."""
    out = subprocess.run(["openssl", "x509", "-noout", "-serial", "-ext",
                          "authorityKeyIdentifier"], input=pem, check=True,
                         capture_output=True).stdout.decode()
    serial = aki = ""
    for line in out.splitlines():
        line = line.strip()
        if line.startswith("serial="):
            serial = line[len("serial="):]
        elif ":" in line and all(len(x) == 2 for x in
                                 line.replace("keyid:", "").split(":")):
            aki = line.replace("keyid:", "").replace(":", "")
    serial = serial if len(serial) % 2 == 0 else "0" + serial
    if int(serial[:2], 16) & 0x80:
        serial = "00" + serial
    return b64u(bytes.fromhex(aki)) + "." + b64u(bytes.fromhex(serial))


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
ISSUED = {}
REPLACED = set()
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(CERT, KEY)
srv = http.server.ThreadingHTTPServer(("127.0.0.1", PORT), Handler)
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
srv.daemon_threads = True
print("ready", flush=True)
srv.serve_forever()
