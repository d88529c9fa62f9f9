"""A Starlette application for tests/e2e/python_asgi.sh: routing under
root_path, a streamed response, an upload, a WebSocket echo, lifespan, and
a bare ASGI endpoint that ends its response with trailers (gRPC-style)."""
import hashlib
import os
import sys

from starlette.applications import Starlette
from starlette.responses import (JSONResponse, PlainTextResponse,
                                 RedirectResponse, StreamingResponse)
from starlette.routing import Route, WebSocketRoute

EVENTS = os.environ.get("STARAPP_EVENTS")


def note(what):
    if EVENTS:
        with open(EVENTS, "a") as f:
            f.write("%s %d\n" % (what, os.getpid()))


async def index(request):
    return JSONResponse({"root_path": request.scope["root_path"],
                         "path": request.scope["path"],
                         "url": str(request.url),
                         "for_item": str(request.url_for("item", n=7)),
                         "started": request.app.state.started,
                         "http_version": request.scope["http_version"],
                         "scheme": request.url.scheme})


async def item(request):
    return PlainTextResponse("item %s\n" % request.path_params["n"])


async def stream(request):
    n = int(request.query_params.get("n", "10"))

    async def gen():
        for i in range(n):
            yield b"line %d\n" % i
    return StreamingResponse(gen(), media_type="text/plain")


async def upload(request):
    h, size = hashlib.sha256(), 0
    async for chunk in request.stream():
        h.update(chunk)
        size += len(chunk)
    return PlainTextResponse("%d %s\n" % (size, h.hexdigest()))


async def go(request):
    return RedirectResponse(request.url_for("item", n=3), status_code=303)


async def boom(request):
    raise RuntimeError("the application raised on purpose")


class Grpcish:
    """A bare ASGI endpoint: its body says the HTTP version and whether the
    server offers response trailers; grpc-status follows as a trailer."""

    async def __call__(self, scope, receive, send):
        offered = "http.response.trailers" in scope.get("extensions", {})
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"application/grpc")],
                    "trailers": offered})
        await send({"type": "http.response.body", "body": (
            "%s %s\n" % (scope["http_version"], offered)).encode()})
        if offered:
            await send({"type": "http.response.trailers",
                        "headers": [(b"grpc-status", b"0")],
                        "more_trailers": True})
            await send({"type": "http.response.trailers",
                        "headers": [(b"grpc-message", b"fine")]})


async def echo(websocket):
    await websocket.accept()
    while True:
        msg = await websocket.receive()
        if msg["type"] == "websocket.disconnect":
            return
        if msg.get("text") is not None:
            if msg["text"] == "bye":
                await websocket.close(4000)
                return
            await websocket.send_text("echo " + msg["text"])
        else:
            await websocket.send_bytes(msg["bytes"])


async def startup():
    app.state.started = True
    note("startup")


async def shutdown():
    note("shutdown")
    print("starapp: shutdown", file=sys.stderr, flush=True)


app = Starlette(routes=[
    Route("/", index),
    Route("/item/{n:int}", item, name="item"),
    Route("/stream", stream),
    Route("/upload", upload, methods=["POST"]),
    Route("/go", go),
    Route("/raise", boom),
    Route("/grpc", Grpcish()),
    WebSocketRoute("/ws", echo),
], on_startup=[startup], on_shutdown=[shutdown])
app.state.started = False
