"""What hsys.wsgi and hsys.asgi share: their command line, loading the
application, the worker processes, registering the queue and prefixes,
and stopping gracefully on SIGTERM.

A server process opens one session, creates its queue (or, with --queue
or several processes, attaches to the named queue or creates it), adds
every --url, and hands each request to the server's handler as a task.
On SIGTERM or SIGINT it drains as docs/deploy.md says: it closes its
queue, goes on answering what still comes until hsysd has been quiet for
half a second, waits for the requests in flight (at most --drain
seconds), and exits 0.
"""
import argparse
import asyncio
import errno
import importlib
import os
import signal
import sys
import traceback

from .client import Error, connect


def parse_args(prog, argv, threads):
    p = argparse.ArgumentParser(
        prog=prog, description="Serves a Python %s application through "
        "hsysd (docs/python.md)." % ("WSGI" if threads else "ASGI"))
    p.add_argument("app", metavar="MODULE:APP",
                   help="the application: a module (importable from the "
                   "current directory or PYTHONPATH) and an attribute of "
                   "it, e.g. myproject.wsgi:application")
    p.add_argument("--url", action="append", default=[],
                   help="a UrlPrefix to serve, e.g. https://+:8443/app/ "
                   "(repeat for several; needed unless --queue names "
                   "another user's queue, whose prefixes its owner adds)")
    if threads:
        p.add_argument("--threads", type=int, default=8,
                       help="threads per process running the application "
                       "(default 8)")
    p.add_argument("--processes", type=int, default=1,
                   help="processes sharing one named queue (default 1)")
    p.add_argument("--queue", default="",
                   help="a named queue to attach to (or create): several "
                   "servers, or an old and a new version, share it; "
                   "OWNER/NAME serves another user's queue, which that "
                   "user allowed this one to attach to (--allow)")
    p.add_argument("--allow", action="append", default=[], metavar="USER",
                   help="let processes of USER (a name or uid) attach to "
                   "this --queue as OWNER/NAME and serve it (makes the "
                   "queue open: needs root or a delegate=yes reservation; "
                   "repeat for several)")
    p.add_argument("--allow-group", action="append", default=[],
                   metavar="GROUP", help="as --allow, for the members of "
                   "GROUP (a name or gid)")
    p.add_argument("--length", type=int, help="the queue's length "
                   "(waiting requests beyond it get 503)")
    p.add_argument("--grace", type=int, help="ms the queue outlives its "
                   "last process (default hsysd's, 5000)")
    p.add_argument("--name", default="", help="the application's name in "
                   "hsysd's logs (default MODULE:APP)")
    p.add_argument("--drain", type=float, default=30.0,
                   help="seconds requests in flight may take to finish "
                   "after SIGTERM (default 30)")
    p.add_argument("--loop", choices=("asyncio", "uvloop"),
                   default="asyncio", help="the event loop: the standard "
                   "library's (default) or uvloop's (python3-uvloop), "
                   "faster")
    p.add_argument("--ready", help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    if a.processes < 1 or (threads and a.threads < 1):
        p.error("--processes and --threads are at least 1")
    if not a.url and "/" not in a.queue:
        p.error("--url is required (unless --queue names another user's "
                "queue, OWNER/NAME)")
    if (a.allow or a.allow_group) and not a.queue:
        p.error("--allow and --allow-group need --queue NAME: other users "
                "attach to a queue by its name")
    if (a.allow or a.allow_group) and "/" in a.queue:
        p.error("--allow and --allow-group are for the queue's owner, not "
                "for a process attaching to OWNER/NAME")
    if a.processes > 1 and not a.queue:
        # The processes must share one queue, so it needs a name.
        a.queue = "%s.%d" % (prog, os.getpid())
    a.name = a.name or a.app
    return a


def load_app(spec):
    """MODULE:APP (APP may be dotted, or end in "()" to call a factory)."""
    if ":" not in spec:
        sys.exit("%s: MODULE:APP expected (e.g. app:app), not %r"
                 % (sys.argv[0], spec))
    mod, _, attr = spec.partition(":")
    if "" not in sys.path and os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    obj = importlib.import_module(mod)
    call = attr.endswith("()")
    for part in attr.rstrip("()").split("."):
        obj = getattr(obj, part)
    return obj() if call else obj


def log(prog, msg):
    print("%s[%d]: %s" % (prog, os.getpid(), msg), file=sys.stderr,
          flush=True)


def log_exception(prog, what):
    print("%s[%d]: %s\n%s" % (prog, os.getpid(), what,
                               traceback.format_exc().rstrip()),
          file=sys.stderr, flush=True)


async def register(args):
    """The session and queue serving args.url; exits 3 when refused."""
    try:
        s = await connect(args.name)
    except OSError as e:
        sys.exit("hsys: cannot reach hsysd (%s): %s. Is hsysd running, and "
                 "HSYS_HOME set as for it?" % (e.filename or "", e.strerror))
    try:
        if args.queue:
            q = await s.queue(args.queue, length=args.length,
                              grace=args.grace, allow=args.allow,
                              allow_groups=args.allow_group)
        else:
            q = await s.create_queue(length=args.length, grace=args.grace)
        for url in args.url:
            if url not in q.prefixes:
                try:
                    await q.add_prefix(url)
                except Error as e:
                    # A process of the same named queue added it first.
                    if not (args.queue and e.code == errno.EEXIST):
                        raise
                    q.prefixes.append(url)
    except Error as e:
        print("hsys: refused: %s" % e, file=sys.stderr, flush=True)
        await s.close()
        sys.exit(3)
    return s, q


async def serve(prog, args, handle, on_stop=None, on_start=None,
                on_drain=None):
    """One server process: `await on_start()`, registers, hands each
    request to handle(req) (a coroutine it returns runs as a task; None:
    the handler runs the request itself, and `await on_drain(timeout)`
    waits for such requests in the drain), drains on SIGTERM, then
    `await on_stop()`."""
    loop = asyncio.get_running_loop()
    if on_start is not None:
        await on_start()
    s, q = await register(args)
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    tasks = set()
    last = [loop.time()]

    def start(req):
        last[0] = loop.time()
        coro = handle(req)
        if coro is None:
            return
        t = loop.create_task(coro)
        tasks.add(t)
        t.add_done_callback(tasks.discard)

    async def until_end():
        # Requests queued before on_request was set, then the session's
        # end (None).
        while (req := await s.next_request()) is not None:
            start(req)

    s.on_request = start
    ended = loop.create_task(until_end())
    log(prog, "serving %s" % (" ".join(args.url) or
                              "the queue " + args.queue))
    if args.ready:
        with open(args.ready, "a") as f:
            f.write("ready %d\n" % os.getpid())
    stopping = loop.create_task(stop.wait())
    await asyncio.wait({ended, stopping}, return_when=asyncio.FIRST_COMPLETED)
    if ended.done():
        log(prog, "the session with hsysd ended")
    log(prog, "stopping: closing the queue, answering what is in flight")
    try:
        await q.close()
    except Error:
        pass
    # Requests routed before hsysd learnt of the close still come: wait
    # until it has been quiet for half a second.
    last[0] = closed = loop.time()
    while loop.time() - last[0] < 0.5 and loop.time() - closed < 5:
        await asyncio.sleep(0.5 - (loop.time() - last[0]))
    began = loop.time()
    if tasks:
        await asyncio.wait(tasks, timeout=args.drain)
    if on_drain is not None:
        await on_drain(max(0.0, args.drain - (loop.time() - began)))
    if on_stop is not None:
        await on_stop()
    await s.close()


def run(prog, args, main):
    """Runs main() (a coroutine function) in this process, or in
    --processes children; the parent passes SIGTERM/SIGINT on and exits
    with the first failure among them."""
    if args.loop == "uvloop":
        try:
            import uvloop
        except ImportError:
            sys.exit("%s: --loop uvloop needs uvloop (apt-get install "
                     "python3-uvloop)" % prog)
        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    if args.processes == 1:
        asyncio.run(main())
        return 0
    kids = []
    for _ in range(args.processes):
        pid = os.fork()
        if pid == 0:
            code = 0
            try:
                asyncio.run(main())
            except SystemExit as e:
                code = e.code if isinstance(e.code, int) else 1
                if not isinstance(e.code, int) and e.code is not None:
                    print(e.code, file=sys.stderr)
            except BaseException:
                traceback.print_exc()
                code = 1
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
        kids.append(pid)

    def forward(sig, _frame):
        for k in kids:
            try:
                os.kill(k, sig)
            except ProcessLookupError:
                pass
    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    status = 0
    for k in kids:
        _, st = os.waitpid(k, 0)
        code = os.waitstatus_to_exitcode(st)
        if code != 0 and status == 0:
            status = code if code > 0 else 1
            # One failed (refused, say): the others stop too.
            forward(signal.SIGTERM, None)
    return status
