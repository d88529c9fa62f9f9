#!/usr/bin/python3
"""WebSocket pieces for tests/e2e/forward_apps.sh (python3-websockets).

  fwd_ws.py serve PORT        an echo server on 127.0.0.1:PORT
  fwd_ws.py client URL CA     sends a text and 1 MiB binary message through
                              URL, checks the echoes; prints "echo ok"
"""
import asyncio
import os
import ssl
import sys

import websockets


async def echo(ws, path=None):
    async for msg in ws:
        await ws.send(msg)


async def serve(port):
    async with websockets.serve(echo, "127.0.0.1", port, max_size=None):
        await asyncio.Future()


async def client(url, ca):
    ctx = ssl.create_default_context(cafile=ca)
    async with websockets.connect(url, ssl=ctx, max_size=None,
                                  open_timeout=10) as ws:
        await ws.send("hello tunnel")
        assert await asyncio.wait_for(ws.recv(), 10) == "hello tunnel"
        blob = os.urandom(1 << 20)
        await ws.send(blob)
        assert await asyncio.wait_for(ws.recv(), 20) == blob
    print("echo ok")


if sys.argv[1] == "serve":
    asyncio.run(serve(int(sys.argv[2])))
else:
    asyncio.run(client(sys.argv[2], sys.argv[3]))
