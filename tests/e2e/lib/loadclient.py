"""A bounded HTTP load for restart tests:

    loadclient.py URL SECONDS NEW KA [EXPECT]

NEW threads each open a new connection per GET; KA threads each keep one
keep-alive connection for as long as the server keeps it. Every request
has a 10 s timeout; the run stops after SECONDS (and after at most 100000
requests). Prints one JSON line: counts and the first failures.

What counts as a failure, honestly:
  - any status but 200, or a body that does not start with EXPECT (the
    application's answer; default "{", echoapp's JSON);
  - any error on a new connection (refused, reset, timeout, short read);
  - any error on a retry.
The one retry allowed is what HTTP clients do (RFC 9112 section 9.3.1):
when a *reused* keep-alive connection is closed by the server before any
byte of the response arrived, an idempotent GET is sent again once on a
new connection. Such retries are counted and reported separately.
"""
import http.client
import json
import sys
import threading
import time
import urllib.parse

url = urllib.parse.urlsplit(sys.argv[1])
seconds, nnew, nka = float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
expect = (sys.argv[5] if len(sys.argv) > 5 else "{").encode()
deadline = time.monotonic() + seconds
lock = threading.Lock()
stats = {"requests": 0, "ok": 0, "failed": 0, "retried": 0,
         "new_connections": 0, "failures": []}
MAX_REQUESTS = 100000


def count(key, detail=None):
    with lock:
        stats[key] += 1
        if detail is not None and len(stats["failures"]) < 10:
            stats["failures"].append(detail)


def connect():
    count("new_connections")
    return http.client.HTTPConnection(url.hostname, url.port, timeout=10)


def get(conn):
    conn.request("GET", url.path or "/")
    r = conn.getresponse()
    body = r.read()
    return r.status, body, r.will_close


def check(status, body):
    if status == 200 and body.startswith(expect):
        count("ok")
    else:
        count("failed", "status %d body %r" % (status, body[:80]))


def more():
    with lock:
        if time.monotonic() >= deadline or stats["requests"] >= MAX_REQUESTS:
            return False
        stats["requests"] += 1
        return True


def new_loop():
    while more():
        c = connect()
        try:
            status, body, _ = get(c)
            check(status, body)
        except Exception as e:
            count("failed", "new connection: %r" % (e,))
        finally:
            c.close()


def ka_loop():
    c, used = None, False
    while more():
        if c is None:
            c, used = connect(), False
        try:
            status, body, closing = get(c)
            check(status, body)
            used = True
            if closing:
                c.close()
                c = None
        except (http.client.RemoteDisconnected, ConnectionResetError,
                BrokenPipeError) as e:
            c.close()
            c = None
            if not used:
                count("failed", "fresh keep-alive connection: %r" % (e,))
                continue
            # Closed while idle before our request was read: retry once.
            count("retried")
            c2 = connect()
            try:
                status, body, _ = get(c2)
                check(status, body)
            except Exception as e2:
                count("failed", "retry: %r" % (e2,))
            finally:
                c2.close()
        except Exception as e:
            count("failed", "keep-alive: %r" % (e,))
            c.close()
            c = None


threads = [threading.Thread(target=new_loop) for _ in range(nnew)] + \
    [threading.Thread(target=ka_loop) for _ in range(nka)]
for t in threads:
    t.start()
for t in threads:
    t.join(seconds + 60)
stats["threads_stuck"] = sum(t.is_alive() for t in threads)
print(json.dumps(stats), flush=True)
