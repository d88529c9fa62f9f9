#!/usr/bin/python3
"""Waits for a page in a headless Chromium to resolve window.wsResult, over
the DevTools protocol (with python3-websockets), and prints its value.

  cdp_result.py DEVTOOLS_PORT SECONDS

Chromium was started with --remote-debugging-port=DEVTOOLS_PORT and the
page's URL. `chromium --dump-dom` dumps after the load event, which does
not wait for a WebSocket, so under load it dumped the page before the echo
came back; asking the page for its promise waits exactly as long as needed.
"""
import asyncio
import json
import sys
import time
import urllib.request

import websockets

port, seconds = int(sys.argv[1]), float(sys.argv[2])
deadline = time.monotonic() + seconds


def page_ws():
    """The page target's DevTools WebSocket URL, once Chromium is up."""
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(
                    "http://127.0.0.1:%d/json/list" % port, timeout=5) as f:
                for t in json.load(f):
                    if t.get("type") == "page" and \
                            t.get("url", "").startswith("https:"):
                        return t["webSocketDebuggerUrl"]
        except OSError:
            pass
        time.sleep(0.2)
    raise TimeoutError("no page in Chromium within %g s" % seconds)


async def evaluate(ws, ident, expr):
    await ws.send(json.dumps({"id": ident, "method": "Runtime.evaluate",
                              "params": {"expression": expr,
                                         "awaitPromise": True,
                                         "returnByValue": True}}))
    while True:
        msg = json.loads(await ws.recv())
        if msg.get("id") == ident:
            return msg.get("result", {}).get("result", {}).get("value")


async def main():
    async with websockets.connect(page_ws(), max_size=None) as ws:
        ident = 0
        # The page's script defines the promise once it has loaded.
        while time.monotonic() < deadline:
            ident += 1
            if await evaluate(ws, ident, "typeof window.wsResult") == "object":
                break
            await asyncio.sleep(0.2)
        left = max(deadline - time.monotonic(), 1)
        print(await asyncio.wait_for(evaluate(ws, ident + 1,
                                              "window.wsResult"), left))


asyncio.run(main())
