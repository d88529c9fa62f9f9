"""An application on the hsys package's asyncio API, for
tests/e2e/python_client.sh.

    clientapp.py PREFIX... [--queue NAME] [--ready FILE] [--length N]
                 [--grace MS]

Answers by what the path ends with:
  .../echo        the body back; the trailers as X-Trailers
  .../slowread    waits 1 s before reading the body, then says how many
                  bytes it held unread at most (never more than the window)
  .../hints       103 Early Hints, then 200
  .../tunnel      101 (Upgrade: echo), then echoes the client's bytes
                  until it half-closes, then ends its side
  .../hold?ms=N   answers after N ms
  anything else   "METHOD PATH pid" and the queue's name
"Refused CODE MESSAGE" and exit 3 when a prefix is refused; "ready" in the
--ready file once it serves, "reconnected N" after each new session.
"""
import asyncio
import errno
import os
import sys

import hsys


async def serve(req):
    p = req.path
    if p.endswith(b"/echo"):
        body = await req.read()
        tr = b",".join(b"%s=%s" % kv for kv in req.trailers)
        await req.respond(200, [(b"X-Trailers", tr)], body)
    elif p.endswith(b"/slowread"):
        await asyncio.sleep(1)
        most, n = req._buffered, 0
        while True:
            b = await req.read(65536)
            if not b:
                break
            n += len(b)
            most = max(most, req._buffered)
        await req.respond(200, body=b"read %d held at most %d window %d\n"
                          % (n, most, req._window))
    elif p.endswith(b"/hints"):
        await req.send_interim(103, [(b"Link", b"</s.css>; rel=preload")])
        await req.respond(200, body=b"after hints\n")
    elif p.endswith(b"/tunnel") and req.upgrade:
        await req.start_response(101, [(b"Upgrade", b"echo")])
        while True:
            b = await req.read(65536)
            if not b:
                break
            await req.write(b)
        await req.end()
    elif p.endswith(b"/hold"):
        ms = int(req.query.partition(b"=")[2] or b"0")
        await asyncio.sleep(ms / 1000)
        await req.respond(200, body=b"held %d\n" % ms)
    else:
        q = req.queue.name if req.queue else "?"
        await req.respond(200, [(b"Content-Type", b"text/plain")],
                          b"%s %s %d %s\n" % (req.method.encode(), p,
                                              os.getpid(), q.encode()))


async def main(args):
    queue, ready, length, grace, prefixes = "", None, None, None, []
    while args:
        a = args.pop(0)
        if a == "--queue":
            queue = args.pop(0)
        elif a == "--ready":
            ready = args.pop(0)
        elif a == "--length":
            length = int(args.pop(0))
        elif a == "--grace":
            grace = int(args.pop(0))
        else:
            prefixes.append(a)
    s = await hsys.connect("clientapp")
    try:
        q = await (s.queue(queue, length=length, grace=grace) if queue else
                   s.create_queue(length=length, grace=grace))
        for p in prefixes:
            try:
                await q.add_prefix(p)
            except hsys.Error as e:
                if e.code != errno.EEXIST or not queue:
                    raise
    except hsys.Error as e:
        print("refused %s %s" % (errno.errorcode[e.code], e.message),
              flush=True)
        sys.exit(3)

    def reconnected(sess):
        with open(ready, "a") as f:
            f.write("reconnected %d\n" % sess.reconnects)
    s.on_reconnect = reconnected if ready else None
    if ready:
        with open(ready, "w") as f:
            f.write("ready\n")
    tasks = set()
    async for req in s.requests():
        t = asyncio.get_running_loop().create_task(serve(req))
        tasks.add(t)
        t.add_done_callback(tasks.discard)


asyncio.run(main(sys.argv[1:]))
