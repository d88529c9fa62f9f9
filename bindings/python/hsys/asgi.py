"""An ASGI 3 server on hsysd: the http, websocket and lifespan scopes.

    python3 -m hsys.asgi MODULE:APP --url https://+:8443/app/ [--url ...]
        [--processes N] [--queue [OWNER/]NAME] [--allow USER]

Each process runs the application on the same asyncio loop that talks to
hsysd. `root_path` is the path of the registered prefix that matched
(without its last slash) and `path` the rest, as WSGI's SCRIPT_NAME and
PATH_INFO (what Debian 12's Starlette expects). WebSocket is framed here
(RFC 6455 over hsysd's 101 tunnel, hsys.websocket): the application sees
websocket.* events. Lifespan startup runs before the prefixes are added,
shutdown after the drain on SIGTERM.
"""
import asyncio
import functools
import sys

from . import _server
from . import websocket as ws
from .client import Cancelled
from .wsgi import split_path

PROG = "hsys.asgi"
ASGI = {"version": "3.0", "spec_version": "2.3"}
HOP = {b"connection", b"keep-alive", b"transfer-encoding", b"upgrade",
       b"proxy-connection"}
READ_CHUNK = 256 << 10


_VERSIONS = {(1, 1): "1.1", (1, 0): "1.0", (2, 0): "2"}
_SCHEMES = {("http", False): "http", ("http", True): "https",
            ("websocket", False): "ws", ("websocket", True): "wss"}


@functools.lru_cache(maxsize=1024)
def _root(prefix, path):
    """root_path and path (str) of a request's path under its prefix;
    paths repeat, so the split and the decoding are remembered."""
    script, rest = split_path(prefix, path)
    return script.decode("utf-8", "replace"), rest.decode("utf-8",
                                                          "replace")


_texts = {}


def _text(b):
    """Latin-1 text of a prefix, TLS description or SNI name: few
    distinct values, so each is decoded once (up to a bound)."""
    t = _texts.get(b)
    if t is None:
        if len(_texts) >= 1024:
            _texts.clear()
        t = _texts[b] = b.decode("latin-1")
    return t


def scope_of(req, kind, state):
    """The scope shared by http and websocket requests."""
    root, path = _root(req.prefix, req.path)
    raw = req.raw_url
    if b"?" in raw:
        raw = raw.partition(b"?")[0]
    s = {
        "type": kind,
        "asgi": ASGI,
        "http_version": _VERSIONS.get(req.version) or
        "%d.%d" % req.version,
        "scheme": _SCHEMES[kind, req.is_tls],
        "path": path,
        "raw_path": raw,
        "query_string": req.query,
        "root_path": root,
        "headers": [(k.lower(), v) for k, v in req.headers],
        "client": req.peer,
        "server": req.local,
        "state": state.copy(),
        "extensions": {"hsys": {
            "prefix": _text(req.prefix), "tls": _text(req.tls),
            "sni": _text(req.sni), "client_cert": req.client_cert or None,
            "connection_id": req.connection_id}},
    }
    if kind == "http":
        s["method"] = req.method
    return s


def _headers(hs):
    """The application's headers without the hop-by-hop ones (hsysd frames
    the response)."""
    out = []
    for k, v in hs:
        if k.__class__ is not bytes:
            k = bytes(k)
        if v.__class__ is not bytes:
            v = bytes(v)
        if k.lower() not in HOP:
            out.append((k, v))
    return out


async def http(app, req, state):
    """One http request through the application."""
    scope = scope_of(req, "http", state)
    st = {"status": None, "headers": (), "trailers": False, "ended": False,
          "body_sent": False, "fields": []}
    if req.trailers_supported:
        scope["extensions"]["http.response.trailers"] = {}

    async def receive():
        if not st["body_sent"]:
            try:
                body = await req.read(READ_CHUNK) if not req.body_done \
                    else b""
            except Cancelled:
                return {"type": "http.disconnect"}
            st["body_sent"] = req.body_done
            return {"type": "http.request", "body": body,
                    "more_body": not req.body_done}
        await req.wait_done()
        return {"type": "http.disconnect"}

    async def send(msg):
        t = msg["type"]
        try:
            if t == "http.response.start":
                st["status"] = msg["status"]
                st["headers"] = _headers(msg.get("headers", ()))
                st["trailers"] = msg.get("trailers", False)
            elif t == "http.response.body":
                await body(msg.get("body", b""), msg.get("more_body", False))
            elif t == "http.response.trailers":
                st["fields"] += _headers(msg.get("headers", ()))
                if not msg.get("more_trailers", False):
                    if req.status is None:
                        await req.start_response(st["status"],
                                                 st["headers"])
                    await req.end(trailers=st["fields"]
                                  if req.trailers_supported else ())
                    st["ended"] = True
            else:
                raise RuntimeError("unexpected ASGI message %r" % t)
        except Cancelled:
            pass        # the client went away: what it sends is dropped

    async def body(data, more):
        if st["status"] is None:
            raise RuntimeError("http.response.body before "
                               "http.response.start")
        last = not more and not st["trailers"]
        if req.status is None:
            if last:
                st["ended"] = True
                # Most answers fit hsysd's credit: sent without a wait.
                if not req.respond_nowait(st["status"], st["headers"],
                                          data):
                    await req.respond(st["status"], st["headers"], data)
                return
            await req.start_response(st["status"], st["headers"])
        if data:
            await req.write(data)
        if last:
            st["ended"] = True
            await req.end()

    try:
        await app(scope, receive, send)
    except Exception:
        _server.log_exception(PROG, "%s %s: the application failed" % (
            req.method, req.raw_url.decode("latin-1")))
        return await _fail(req)
    if not st["ended"] and not req.cancelled:
        if req.status is None:
            print("%s: %s %s: the application returned without a response"
                  % (PROG, req.method, req.raw_url.decode("latin-1")),
                  file=sys.stderr, flush=True)
        await _fail(req)


async def _fail(req):
    try:
        if req.status is None and not req.cancelled:
            await req.respond(500, [(b"Content-Type", b"text/plain")],
                              b"Internal Server Error\n")
        else:
            req.cancel()
    except Cancelled:
        pass


class _WebSocket:
    """One WebSocket: the handshake's answer, the frames both ways, the
    close handshake."""

    def __init__(self, req):
        self.req = req
        self.events = asyncio.Queue()
        self.state = "connecting"      # accepted, closed
        self.sent_close = False
        self.lock = asyncio.Lock()
        self.reader = None

    async def receive(self):
        if self.state == "connecting" and not self.asked:
            self.asked = True
            return {"type": "websocket.connect"}
        return await self.events.get()

    asked = False

    async def send(self, msg):
        t = msg["type"]
        if t == "websocket.accept":
            return await self.accept(msg)
        if t == "websocket.close":
            return await self.close(msg.get("code", 1000),
                                    msg.get("reason") or "")
        if t == "websocket.send":
            if self.state != "accepted" or self.sent_close:
                return      # closed: ASGI says the message is dropped
            if msg.get("bytes") is not None:
                return await self.frame(ws.BINARY, msg["bytes"])
            return await self.frame(ws.TEXT, msg.get("text", "").encode())
        raise RuntimeError("unexpected ASGI message %r" % t)

    async def accept(self, msg):
        key = self.req.header("sec-websocket-key", b"")
        headers = [(b"Upgrade", b"websocket"),
                   (b"Sec-WebSocket-Accept", ws.accept_key(key))]
        if msg.get("subprotocol"):
            headers.append((b"Sec-WebSocket-Protocol",
                            msg["subprotocol"].encode()))
        headers += _headers(msg.get("headers", ()))
        await self.req.start_response(101, headers)
        self.state = "accepted"
        self.reader = asyncio.get_running_loop().create_task(self.read())

    async def close(self, code, reason):
        if self.state == "connecting":
            # Closing before accepting is refusing: 403.
            self.state = "closed"
            return await self.req.respond(403, [(b"Content-Length", b"0")])
        await self.send_close(code, reason)

    async def send_close(self, code, reason=""):
        if self.sent_close:
            return
        self.sent_close = True
        await self.frame(ws.CLOSE, ws.close_payload(code, reason))
        async with self.lock:
            await self.req.end()

    async def frame(self, opcode, payload):
        async with self.lock:
            await self.req.write(ws.encode(opcode, payload))

    async def read(self):
        parser = ws.Parser()
        code = 1006
        try:
            while True:
                data = await self.req.read(READ_CHUNK)
                if not data:
                    break
                for op, payload in parser.feed(data):
                    if op == ws.PING:
                        await self.frame(ws.PONG, payload)
                    elif op == ws.CLOSE:
                        code = int.from_bytes(payload[:2], "big") \
                            if len(payload) >= 2 else 1005
                        await self.send_close(code if code != 1005
                                              else 1000)
                        return self.disconnect(code)
                    elif op == ws.TEXT:
                        try:
                            text = payload.decode()
                        except UnicodeDecodeError:
                            raise ws.WebSocketError(1007, "not UTF-8")
                        self.events.put_nowait({"type": "websocket.receive",
                                                "text": text})
                    elif op == ws.BINARY:
                        self.events.put_nowait({"type": "websocket.receive",
                                                "bytes": payload})
        except ws.WebSocketError as e:
            code = e.code
            try:
                await self.send_close(e.code, e.reason)
            except Cancelled:
                pass
        except Cancelled:
            pass
        self.disconnect(code)

    def disconnect(self, code):
        self.state = "closed"
        self.events.put_nowait({"type": "websocket.disconnect",
                                "code": code})


async def websocket(app, req, state):
    """One WebSocket through the application."""
    if req.header("sec-websocket-version") != b"13" or \
            not req.header("sec-websocket-key"):
        return await req.respond(400, [(b"Sec-WebSocket-Version", b"13")],
                                 b"a WebSocket handshake needs version 13 "
                                 b"and a key\n")
    scope = scope_of(req, "websocket", state)
    proto = req.header("sec-websocket-protocol", b"")
    scope["subprotocols"] = [p.strip().decode("latin-1")
                             for p in proto.split(b",") if p.strip()]
    w = _WebSocket(req)
    try:
        await app(scope, w.receive, w.send)
    except Exception:
        _server.log_exception(PROG, "websocket %s: the application failed"
                              % req.raw_url.decode("latin-1"))
        if w.state == "connecting":
            return await _fail(req)
        try:
            await w.send_close(1011)
        except Cancelled:
            pass
    try:
        if w.state == "connecting":
            await w.close(1000, "")
        elif not w.sent_close:
            await w.send_close(1000)
        if w.reader is not None:
            await asyncio.wait_for(w.reader, 10)
    except (Cancelled, asyncio.TimeoutError):
        req.cancel()


class Lifespan:
    """The lifespan scope: startup before serving, shutdown after."""

    def __init__(self, app):
        self.app = app
        self.state = {}
        self.inbox = asyncio.Queue()
        self.outbox = asyncio.Queue()
        self.task = None
        self.supported = True

    async def startup(self):
        scope = {"type": "lifespan", "asgi": ASGI, "state": self.state}

        async def run():
            try:
                await self.app(scope, self.inbox.get, self.outbox.put)
            except Exception:
                if self.task_stage == "startup" and self.outbox.empty():
                    # Applications without lifespan raise at once.
                    self.supported = False
                    self.outbox.put_nowait({"type": "unsupported"})
                else:
                    _server.log_exception(PROG, "lifespan failed")
                    self.outbox.put_nowait({"type": "lifespan.failed"})
        self.task_stage = "startup"
        self.task = asyncio.get_running_loop().create_task(run())
        await self.inbox.put({"type": "lifespan.startup"})
        msg = await self.outbox.get()
        if msg["type"] == "lifespan.startup.failed":
            sys.exit("%s: the application's startup failed: %s"
                     % (PROG, msg.get("message", "")))
        if msg["type"] == "lifespan.failed":
            sys.exit("%s: the application's startup raised" % PROG)

    async def shutdown(self):
        if not self.supported or self.task.done():
            return
        self.task_stage = "shutdown"
        await self.inbox.put({"type": "lifespan.shutdown"})
        try:
            msg = await asyncio.wait_for(self.outbox.get(), 30)
        except asyncio.TimeoutError:
            return
        if msg["type"] == "lifespan.shutdown.failed":
            print("%s: the application's shutdown failed: %s" % (
                PROG, msg.get("message", "")), file=sys.stderr, flush=True)


def main(argv=None):
    args = _server.parse_args(PROG, argv, threads=False)
    app = _server.load_app(args.app)

    async def process():
        life = Lifespan(app)

        def handle(req):
            # The coroutine the request's task runs (no wrapper between).
            if req.upgrade and (req.header("upgrade") or b"").lower() == \
                    b"websocket":
                return websocket(app, req, life.state)
            return http(app, req, life.state)
        await _server.serve(PROG, args, handle, life.shutdown, life.startup)
    return _server.run(PROG, args, process)


if __name__ == "__main__":
    sys.exit(main())
