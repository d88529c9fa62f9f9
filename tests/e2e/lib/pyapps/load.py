"""A bounded load for the deploy tests: THREADS keep-alive clients GET URL
until the file STOP exists (at most LIMIT seconds); prints "requests N
failed F" and the first failures.

    load.py URL STOP [THREADS] [LIMIT] [CAFILE]
"""
import http.client
import os
import ssl
import sys
import threading
import time
import urllib.parse

url, stop = sys.argv[1], sys.argv[2]
threads = int(sys.argv[3]) if len(sys.argv) > 3 else 4
limit = float(sys.argv[4]) if len(sys.argv) > 4 else 60
cafile = sys.argv[5] if len(sys.argv) > 5 else None
u = urllib.parse.urlsplit(url)
counts = {"ok": 0, "failed": 0}
failures = []
lock = threading.Lock()
end = time.monotonic() + limit


def conn():
    if u.scheme == "https":
        ctx = ssl.create_default_context(cafile=cafile)
        return http.client.HTTPSConnection(u.hostname, u.port, context=ctx,
                                           timeout=30)
    return http.client.HTTPConnection(u.hostname, u.port, timeout=30)


def client():
    c = conn()
    while not os.path.exists(stop) and time.monotonic() < end:
        try:
            c.request("GET", u.path)
            r = c.getresponse()
            r.read()
            ok = r.status == 200
            why = "status %d" % r.status
        except Exception as e:
            ok, why = False, repr(e)
            c.close()
            c = conn()
        with lock:
            counts["ok" if ok else "failed"] += 1
            if not ok and len(failures) < 5:
                failures.append(why)


ts = [threading.Thread(target=client) for _ in range(threads)]
for t in ts:
    t.start()
for t in ts:
    t.join()
print("requests %d failed %d" % (counts["ok"] + counts["failed"],
                                   counts["failed"]))
for f in failures:
    print("failure", f)
