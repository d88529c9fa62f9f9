"""corkapp.py PREFIX READY: the Python package's corked output under
test (tests/e2e/python_cork.sh). GET .../n answers "n\\n" at once (one
respond_nowait per request, the way a busy server answers a batch);
GET .../big/N streams N bytes in 7 KiB writes (more than CORK_BYTES, so
the byte threshold and credit both play); GET .../stats answers
"RESPONSES WRITES": the small responses so far and the writes the
session's channels made until then."""
import asyncio
import sys

import hsys


def writes(s):
    return sum(c.writes for lk in [s._link] if lk for c in lk.chans)


async def big(req, n):
    await req.start_response(200, [(b"Content-Type", b"application/octet-stream")])
    piece = bytes(range(256)) * 28      # 7 KiB
    while n > 0:
        await req.write(piece[:n])
        n -= len(piece)
    await req.end()


async def main(prefix, ready):
    s = await hsys.connect("corkapp")
    q = await s.create_queue()
    await q.add_prefix(prefix)
    with open(ready, "w") as f:
        f.write("ready\n")
    served = 0
    tasks = set()
    async for req in s.requests():
        last = req.path.decode().rsplit("/", 2)
        if last[-2] == "big":
            t = asyncio.ensure_future(big(req, int(last[-1])))
            tasks.add(t)
            t.add_done_callback(tasks.discard)
        elif last[-1] == "stats":
            req.respond_nowait(200, [], b"%d %d\n" % (served, writes(s)))
        else:
            req.respond_nowait(200, [(b"Content-Type", b"text/plain")],
                               last[-1].encode() + b"\n")
            served += 1


asyncio.run(main(*sys.argv[1:3]))
