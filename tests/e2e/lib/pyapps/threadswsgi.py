"""threadswsgi.py: a bare WSGI app for tests/e2e/python_wsgi_threads.sh.

/block/K   waits (at most 30 s) until /release, then answers "K"
/blocked   how many /block requests are waiting now
/release   lets them all go
/fast/K    answers "K" at once
/write     the write() callable, then the iterable: "a" "b" "cd"
/closing   an iterable with close(), counted in /closed
/after     a generator with a Content-Length whose code after its last
           block runs (counted in /afters)
/held      the same, whose code after its last block waits (at most
           30 s) until /unhold: the answer must not wait for it
/raise_mid raises after its first block: the response is reset
/stats     "closed N afters M"
"""
import threading

lock = threading.Lock()
released = threading.Event()
unheld = threading.Event()
counts = {"blocked": 0, "closed": 0, "afters": 0}


def text(start_response, body, status="200 OK"):
    body = body.encode()
    start_response(status, [("Content-Type", "text/plain"),
                            ("Content-Length", str(len(body)))])
    return [body]


class Closing:
    def __init__(self, body):
        self.body = body

    def __iter__(self):
        yield self.body

    def close(self):
        with lock:
            counts["closed"] += 1


def app(environ, start_response):
    path = environ["PATH_INFO"]
    head, _, arg = path[1:].partition("/")
    if head == "block":
        with lock:
            counts["blocked"] += 1
        try:
            released.wait(30)
        finally:
            with lock:
                counts["blocked"] -= 1
        return text(start_response, arg)
    if head == "blocked":
        return text(start_response, str(counts["blocked"]))
    if head == "release":
        released.set()
        return text(start_response, "released")
    if head == "fast":
        return text(start_response, arg)
    if head == "write":
        write = start_response("200 OK", [("Content-Type", "text/plain")])
        write(b"a")
        write(b"b")
        return [b"c", b"d"]
    if head == "closing":
        start_response("200 OK", [("Content-Type", "text/plain"),
                                  ("Content-Length", "7")])
        return Closing(b"closing")

    if head == "after":
        start_response("200 OK", [("Content-Type", "text/plain"),
                                  ("Content-Length", "5")])

        def gen():
            yield b"after"
            with lock:
                counts["afters"] += 1
        return gen()
    if head == "held":
        start_response("200 OK", [("Content-Type", "text/plain"),
                                  ("Content-Length", "4")])

        def gen():
            yield b"held"
            unheld.wait(30)
        return gen()
    if head == "unhold":
        unheld.set()
        return text(start_response, "unheld")
    if head == "raise_mid":
        start_response("200 OK", [("Content-Type", "text/plain")])

        def gen():
            yield b"first"
            raise RuntimeError("raised after the first block on purpose")
        return gen()
    if head == "stats":
        return text(start_response, "closed %d afters %d" % (
            counts["closed"], counts["afters"]))
    return text(start_response, "no such page\n", "404 Not Found")
