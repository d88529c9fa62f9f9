"""A WSGI (PEP 3333) server on hsysd.

    python3 -m hsys.wsgi MODULE:APP --url https://+:8443/app/ [--url ...]
        [--threads N] [--processes N] [--queue [OWNER/]NAME] [--allow USER]

Each process runs one asyncio loop talking to hsysd (hsys.client) and up
to --threads threads running the application. Requests wait in one line
that one thread works through while it keeps up (no hand-off per request,
no threads contending for the GIL); another thread joins only when every
busy one has been in its current request for STUCK seconds (a slow
handler, a sleep, an upload), so a blocking application does not hold the
others up.

The environ is what frameworks expect behind a prefix (docs/python.md):
SCRIPT_NAME is the path of the registered prefix that matched (without
its last slash), PATH_INFO the rest of the decoded path, wsgi.url_scheme
"https" on TLS, and the TLS facts under hsys.* keys. wsgi.input streams the body (chunked
uploads too) within hsysd's credit; the response streams back the same
way. An exception in the application becomes a 500 (or a reset, when the
response had started) and a traceback on stderr; the process goes on.
"""
import asyncio
import collections
import concurrent.futures
import functools
import ssl
import sys
import threading
import time
import urllib.parse

from . import _server
from .client import Cancelled

PROG = "hsys.wsgi"
HOP = {b"connection", b"keep-alive", b"transfer-encoding", b"upgrade",
       b"proxy-connection"}
READ_CHUNK = 256 << 10
# Seconds every busy thread may have been in its current request before an
# idle one is woken for the requests waiting (a quick application's
# requests take well under a millisecond each).
STUCK = 0.01


@functools.lru_cache(maxsize=256)
def prefix_path(prefix):
    """The path of a UrlPrefix, decoded: b"/app/" for
    b"https://+:8443/app/"."""
    rest = prefix.partition(b"://")[2]
    slash = rest.find(b"/")
    path = rest[slash:] if slash >= 0 else b"/"
    return urllib.parse.unquote_to_bytes(path)


def split_path(prefix, path):
    """(SCRIPT_NAME, PATH_INFO) as bytes: the prefix's path without its
    last slash, and the rest. hsysd matches paths without regard to case,
    so the request's own spelling of the prefix is kept."""
    pp = prefix_path(prefix).rstrip(b"/")
    if pp and path[:len(pp)].lower() == pp.lower() and \
            path[len(pp):len(pp) + 1] in (b"/", b""):
        return path[:len(pp)], path[len(pp):]
    return b"", path


def host_port(host, default_port):
    """SERVER_NAME and SERVER_PORT from the Host header's value."""
    if host.startswith(b"["):
        end = host.find(b"]")
        name, port = host[:end + 1], host[end + 2:]
    else:
        name, _, port = host.partition(b":")
    return name.decode("latin-1"), (port.decode("latin-1") or
                                    str(default_port))


def environ_of(req, multiprocess):
    """The PEP 3333 environ of a request (wsgi.input not included)."""
    script, path_info = split_path(req.prefix, req.path)
    https = req.is_tls
    local = req.local or ("", 443 if https else 80)
    env = {
        "REQUEST_METHOD": req.method,
        "SCRIPT_NAME": script.decode("latin-1"),
        "PATH_INFO": path_info.decode("latin-1"),
        "QUERY_STRING": req.query.decode("latin-1"),
        "SERVER_PROTOCOL": "HTTP/%d.%d" % req.version,
        "REQUEST_URI": req.raw_url.decode("latin-1"),
        "RAW_URI": req.raw_url.decode("latin-1"),
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "https" if https else "http",
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": multiprocess,
        "wsgi.run_once": False,
        "wsgi.file_wrapper": FileWrapper,
        "hsys.prefix": req.prefix.decode("latin-1"),
        "hsys.connection_id": req.connection_id,
        "hsys.request_id": req.id,
    }
    if req.peer:
        env["REMOTE_ADDR"], env["REMOTE_PORT"] = req.peer[0], \
            str(req.peer[1])
    else:
        env["REMOTE_ADDR"] = ""
    for name, value in req.headers:
        key = name.upper()
        if b"_" in key:
            continue        # HTTP_X_A could pose as X-A: dropped
        key = key.replace(b"-", b"_").decode("latin-1")
        value = value.decode("latin-1")
        if key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            env[key] = value
            continue
        key = "HTTP_" + key
        if key in env:
            sep = "; " if key == "HTTP_COOKIE" else ","
            env[key] += sep + value
        else:
            env[key] = value
    if req.host and "HTTP_HOST" not in env:
        env["HTTP_HOST"] = req.host.decode("latin-1")
    env["SERVER_NAME"], env["SERVER_PORT"] = host_port(
        req.host or local[0].encode(), local[1])
    if req.content_length is None and req.has_body:
        env["wsgi.input_terminated"] = True     # chunked: read to the end
    if https:
        env["HTTPS"] = "on"
        env["hsys.tls"] = req.tls.decode("latin-1")
        env["hsys.sni"] = req.sni.decode("latin-1")
        if req.client_cert:
            env["hsys.client_cert"] = req.client_cert
            env["hsys.client_cert_pem"] = ssl.DER_cert_to_PEM_cert(
                req.client_cert)
    return env


class FileWrapper:
    """wsgi.file_wrapper: a file sent in large blocks."""

    def __init__(self, filelike, blksize=READ_CHUNK):
        self.filelike, self.blksize = filelike, blksize
        if hasattr(filelike, "close"):
            self.close = filelike.close

    def __iter__(self):
        while True:
            b = self.filelike.read(self.blksize)
            if not b:
                return
            yield b


class _Bridge:
    """Calls the loop's coroutines from an application thread: call()
    waits for the answer, inbox.put() does not."""

    def __init__(self, loop, req, inbox):
        self.loop, self.req, self.inbox = loop, req, inbox
        # The last body send scheduled (a concurrent future), or None.
        self.last = None

    def call(self, coro):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result()


class Input:
    """wsgi.input: the request body, read from hsysd as the application
    asks (each read credits hsysd for more)."""

    def __init__(self, bridge):
        self.bridge = bridge
        self.buf = b""
        self.eof = False

    def _fill(self):
        if self.eof:
            return False
        b = self.bridge.call(self.bridge.req.read(READ_CHUNK))
        if not b:
            self.eof = True
            return False
        self.buf += b
        return True

    def read(self, size=-1):
        if size is None or size < 0:
            while self._fill():
                pass
            b, self.buf = self.buf, b""
            return b
        while len(self.buf) < size and self._fill():
            pass
        b, self.buf = self.buf[:size], self.buf[size:]
        return b

    def read1(self, size=-1):
        if not self.buf:
            self._fill()
        if size is None or size < 0:
            size = len(self.buf)
        b, self.buf = self.buf[:size], self.buf[size:]
        return b

    def readline(self, size=-1):
        while True:
            i = self.buf.find(b"\n")
            if i >= 0 or (0 <= size <= len(self.buf)) or not self._fill():
                break
        end = len(self.buf) if i < 0 else i + 1
        if size is not None and 0 <= size < end:
            end = size
        b, self.buf = self.buf[:end], self.buf[end:]
        return b

    def readlines(self, hint=-1):
        lines, total = [], 0
        while True:
            line = self.readline()
            if not line:
                return lines
            lines.append(line)
            total += len(line)
            if 0 < hint <= total:
                return lines

    def __iter__(self):
        while True:
            line = self.readline()
            if not line:
                return
            yield line

    def readable(self):
        return True


async def _start_and_write(req, status, headers, reason, data, end):
    if req.status is None:
        if end:
            return await req.respond(status, headers, data)
        await req.start_response(status, headers, reason)
    if end:
        await req.end(data)
    elif data:
        await req.write(data)


class _Response:
    """start_response and the body's writes, from the application's
    thread."""

    def __init__(self, bridge):
        self.bridge = bridge
        self.status = None
        self.headers = None
        self.length = None
        self.sent = False

    def start_response(self, status, headers, exc_info=None):
        if exc_info is not None:
            if self.sent:
                raise exc_info[1].with_traceback(exc_info[2])
        elif self.status is not None:
            raise RuntimeError("start_response called twice")
        code, _, reason = status.partition(" ")
        self.status = int(code)
        self.reason = reason.encode("latin-1")
        out = []
        length = None
        for k, v in headers:
            k, v = k.encode("latin-1"), v.encode("latin-1")
            low = k.lower()
            if low in HOP:
                continue
            if low == b"content-length":
                length = -1 if length is not None else int(v) \
                    if v.isdigit() else -1
            out.append((k, v))
        self.headers = out
        # The body's announced length (None: not given, -1: not one
        # number): a first block that long is the whole body.
        self.length = length
        return self.write

    def write(self, data, end=False):
        """Queues the piece for the loop and returns once the one before
        it was sent: the thread goes on producing while the loop sends
        (one piece ahead, which is all the buffering there is), and pieces
        produced together reach the loop in one wake-up, so they leave in
        one corked write. An error sending shows at the next write."""
        if self.status is None:
            raise RuntimeError("the body before start_response")
        b = self.bridge
        prev, b.last = b.last, concurrent.futures.Future()
        b.inbox.put(_send_after, b.loop, b.req, prev, b.last, self.status,
                    self.headers, self.reason, bytes(data), end)
        self.sent = True
        if prev is not None:
            prev.result()

    def whole(self, body):
        """The response as one piece: (status, headers, body, reason)."""
        if self.status is None:
            raise RuntimeError("the application did not call "
                               "start_response")
        return self.status, self.headers, body, self.reason

    def settle(self):
        """Waits until what was queued was sent (errors ignored)."""
        if self.bridge.last is not None:
            concurrent.futures.wait([self.bridge.last])


def _send_after(loop, req, prev, sent, status, headers, reason, data, end):
    """On the loop: sends a piece once the piece before it went; `sent`
    (a concurrent future) gets the outcome, a failure before it too."""
    async def send():
        try:
            if prev is not None:
                await asyncio.wrap_future(prev, loop=loop)
            await _start_and_write(req, status, headers, reason, data, end)
        except BaseException as e:
            sent.set_exception(e)
            if not isinstance(e, Exception):
                raise
            return
        sent.set_result(None)
    loop.create_task(send())


def run_app(app, env, bridge, send):
    """One request, in an application thread. When the whole response is
    one body, send((status, headers, body, reason)) hands it to the loop
    at once (no wait here), before the rest of the iterable runs and its
    close() is called; else the body streams through the bridge. Returns
    whether send() was called."""
    env["wsgi.input"] = Input(bridge)
    resp = _Response(bridge)
    result = None
    sent = False
    try:
        result = app(env, resp.start_response)
        if isinstance(result, (list, tuple)) and len(result) <= 1 and \
                not resp.sent:
            # The usual small answer: status, headers and body together.
            send(resp.whole(bytes(result[0]) if result else b""))
            sent = True
            return sent
        it = iter(result)
        for chunk in it:
            if not chunk:
                continue
            if not resp.sent and resp.length == len(chunk):
                # A first block of the announced length is the whole body
                # (Flask's and Django's answers): sent as one response,
                # since no block can follow. The rest of the iterable still
                # runs (an application's code after its last block); what
                # it yields beyond the length is dropped, as hsysd would.
                send(resp.whole(bytes(chunk)))
                sent = True
                for _ in it:
                    pass
                return sent
            resp.write(chunk)
        if not resp.sent:
            send(resp.whole(b""))
            sent = True
            return sent
        resp.write(b"", end=True)
    except Cancelled:
        pass
    except Exception:
        _server.log_exception(PROG, "%s %s: the application failed" % (
            env["REQUEST_METHOD"], env.get("REQUEST_URI", "")))
        if not sent:
            _fail(bridge, resp)
    finally:
        if hasattr(result, "close"):
            try:
                result.close()
            except Exception:
                _server.log_exception(PROG, "the response's close() failed")
    return sent


def _fail(bridge, resp):
    req = bridge.req
    resp.settle()

    async def fail():
        if req.status is None and not req.cancelled:
            await req.respond(500, [(b"Content-Type", b"text/plain")],
                              b"Internal Server Error\n")
        else:
            req.cancel()
    try:
        bridge.call(fail())
    except Exception:
        pass


class _Inbox:
    """Calls from the application threads to the loop, in order, without
    waiting. The first of a batch wakes the loop; calls made before it
    runs join that wake-up and run in one callback, so the responses they
    send leave in one corked write (docs/python.md, "Batching") instead of
    one wake-up and one write each."""

    def __init__(self, loop):
        self.loop = loop
        self.lock = threading.Lock()
        self.items = []

    def put(self, fn, *args):
        """From a thread: fn(*args) on the loop, soon."""
        with self.lock:
            self.items.append((fn, args))
            if len(self.items) > 1:
                return      # a wake-up is on its way
        self.loop.call_soon_threadsafe(self._run)

    def _run(self):
        with self.lock:
            items, self.items = self.items, []
        for fn, args in items:
            try:
                fn(*args)
            except Exception:
                _server.log_exception(PROG, "sending a response failed")


class _Workers:
    """The threads running the application. Requests wait in one line;
    a thread takes them one after the other while it keeps up, so a quick
    application's requests cost no hand-off between threads each, and no
    two threads contend for the GIL. An idle thread is woken (or a new one
    started, up to --threads) when requests wait and no thread is busy, or
    when every busy thread has been in its current request for STUCK
    seconds: checked as requests come and by a timer on the loop while
    any wait, so a blocking request delays the others by STUCK at most
    while threads are free. The threads are daemons: a request still
    running after the drain does not keep the process alive."""

    def __init__(self, loop, n, work):
        self.loop, self.n, self.work = loop, n, work
        self.jobs = collections.deque()
        self.lock = threading.Lock()
        self.cond = threading.Condition(self.lock)
        # Per thread [state]: None idle, 0 between requests, else when
        # its current request started (time.monotonic()).
        self.slots = []
        self.active = 0     # threads not idle (or woken to be not)
        self.idle = 0       # threads waiting on cond
        self.woken = 0      # threads notified, not yet running
        self.timer = None
        self.closing = False

    def submit(self, job):
        """On the loop: job runs in a thread, soon."""
        with self.lock:
            self.jobs.append(job)
            if self.active == 0 or self._stuck():
                self._wake()
        if self.timer is None:
            self.timer = self.loop.call_later(STUCK, self._check)

    def _check(self):
        self.timer = None
        with self.lock:
            if not self.jobs:
                return
            if self._stuck():
                self._wake()
        self.timer = self.loop.call_later(STUCK, self._check)

    def _stuck(self):
        """Whether every busy thread is past STUCK in its request (lock
        held)."""
        if self.woken:
            return False    # one is on its way
        now = time.monotonic()
        for slot in self.slots:
            t = slot[0]
            if t is not None and (t == 0 or now - t < STUCK):
                return False
        return True

    def _wake(self):
        """One more thread on the line (lock held)."""
        if self.idle:
            self.idle -= 1
            self.active += 1
            self.woken += 1
            self.cond.notify()
        elif len(self.slots) < self.n:
            slot = [0]
            self.slots.append(slot)
            self.active += 1
            threading.Thread(target=self._main, args=(slot,), daemon=True,
                             name="wsgi-%d" % len(self.slots)).start()

    def _main(self, slot):
        jobs, cond, work = self.jobs, self.cond, self.work
        while True:
            with cond:
                while not jobs:
                    slot[0] = None
                    self.active -= 1
                    if self.closing:
                        return
                    self.idle += 1
                    cond.wait()     # the waker counted this one active
                    self.woken -= 1
                job = jobs.popleft()
                slot[0] = time.monotonic()
            try:
                work(job)
            except BaseException:
                _server.log_exception(PROG, "a worker thread failed")
            slot[0] = 0

    def busy(self):
        """Whether a thread is in a request."""
        return any(slot[0] for slot in self.slots)

    def shutdown(self):
        with self.lock:
            self.closing = True
            self.woken += self.idle
            self.active += self.idle
            self.idle = 0
            self.cond.notify_all()
        if self.timer is not None:
            self.timer.cancel()


def main(argv=None):
    args = _server.parse_args(PROG, argv, threads=True)
    app = _server.load_app(args.app)
    multiprocess = args.processes > 1

    async def process():
        loop = asyncio.get_running_loop()
        inflight = [0]      # requests handed to the threads, not finished
        idle = asyncio.Event()

        def handle(req):
            # On the loop, no task per request: the request joins the
            # threads' line; finish() ends it on the loop.
            inflight[0] += 1
            idle.clear()
            workers.submit(req)

        def work(req):
            bridge = _Bridge(loop, req, inbox)

            def send(final):
                inbox.put(finish, req, final, bridge.last)
            sent = False
            try:
                env = environ_of(req, multiprocess)
            except Exception:
                _server.log_exception(PROG, "%s %r: no environ for it" % (
                    req.method, req.raw_url))
                send((500, [(b"Content-Type", b"text/plain")],
                      b"Internal Server Error\n", b""))
                return
            try:
                sent = run_app(app, env, bridge, send)
            finally:
                if not sent:
                    send(None)

        def done(*_):
            inflight[0] -= 1
            if not inflight[0]:
                idle.set()

        def finish(req, final, last):
            if last is not None and not last.done():
                # The body's last pieces are still being sent.
                last.add_done_callback(lambda f: loop.call_soon(
                    finish, req, final, last))
                return
            e = last and last.exception()
            if e is not None and not isinstance(e, Cancelled):
                print("%s: sending the response failed: %r" % (PROG, e),
                      file=sys.stderr, flush=True)
                req.cancel()
            try:
                if final is not None and not req.cancelled and \
                        not req.respond_nowait(*final):
                    t = loop.create_task(req.respond(*final))
                    t.add_done_callback(lambda t: done(
                        t.cancelled() or t.exception()))
                    return
            except Cancelled:
                pass
            except Exception:
                _server.log_exception(PROG, "sending a response failed")
                req.cancel()
            done()

        inbox = _Inbox(loop)
        workers = _Workers(loop, args.threads, work)

        async def drain(timeout):
            end = loop.time() + timeout
            if inflight[0]:
                try:
                    await asyncio.wait_for(idle.wait(), timeout)
                except asyncio.TimeoutError:
                    pass
            # Answered, but an iterable may still be running or closing.
            while workers.busy() and loop.time() < end:
                await asyncio.sleep(0.02)

        async def stop():
            workers.shutdown()
        await _server.serve(PROG, args, handle, stop, on_drain=drain)
    return _server.run(PROG, args, process)


if __name__ == "__main__":
    sys.exit(main())
