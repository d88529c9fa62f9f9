"""An application that marks its answers cacheable, on the hsys package,
for tests/e2e/hsysd_cache.sh.

    cacheapp.py PREFIX... [--ready FILE] [--tag TAG]

Every answer's body starts "TAG n=N path=PATH host=HOST\\n", N counting the
requests the app was given: the same N twice means hsysd answered the
second from its cache. Every answer has ETag "TAG-N" and Last-Modified
Sun, 06 Dec 2026 10:00:00 GMT. The query decides the rest:
  ttl=S        cacheable for S seconds (0: until flushed); absent: not
  cookie=1     a Set-Cookie field       vary=1     Vary: Accept-Language
  status=N     status N                 size=N     a body of N bytes
  nostore=1    Cache-Control: no-store
Two paths act instead of answering so:
  .../flush?p=PREFIX&r=0|1   flushes the queue's cache under PREFIX (no p:
                             all of it; r=0: only that URL), "flushed"
  .../unregister?p=PREFIX    removes the prefix from the queue, "removed"
"""
import asyncio
import sys
import urllib.parse

import hsys

COUNT = 0


async def serve(q, tag, req):
    global COUNT
    COUNT += 1
    args = dict(urllib.parse.parse_qsl(req.query.decode()))
    if req.path.endswith(b"/flush"):
        await q.flush_cache(args.get("p"), args.get("r", "1") == "1")
        await req.respond(200, body=b"flushed\n")
        return
    if req.path.endswith(b"/unregister"):
        await q.remove_prefix(args["p"])
        await req.respond(200, body=b"removed\n")
        return
    await req.read()
    body = b"%s n=%d path=%s host=%s\n" % (tag.encode(), COUNT, req.path,
                                           req.host)
    if "size" in args:
        n = int(args["size"])
        body = (body + b"x" * n)[:n]
    h = [(b"Content-Type", b"text/plain"),
         (b"ETag", b'"%s-%d"' % (tag.encode(), COUNT)),
         (b"Last-Modified", b"Sun, 06 Dec 2026 10:00:00 GMT")]
    if args.get("cookie") == "1":
        h.append((b"Set-Cookie", b"s=1"))
    if args.get("vary") == "1":
        h.append((b"Vary", b"Accept-Language"))
    if args.get("nostore") == "1":
        h.append((b"Cache-Control", b"no-store"))
    ttl = int(args["ttl"]) if "ttl" in args else None
    await req.respond(int(args.get("status", "200")), h, body, cache=ttl)


async def main(args):
    ready, tag, prefixes = None, "A", []
    while args:
        a = args.pop(0)
        if a == "--ready":
            ready = args.pop(0)
        elif a == "--tag":
            tag = args.pop(0)
        else:
            prefixes.append(a)
    s = await hsys.connect("cacheapp")
    q = await s.create_queue(grace=0)
    for p in prefixes:
        await q.add_prefix(p)
    if ready:
        with open(ready, "w") as f:
            f.write("ready\n")
    async for req in s.requests():
        await serve(q, tag, req)


asyncio.run(main(sys.argv[1:]))
