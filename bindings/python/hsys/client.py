"""An asyncio client of hsysd: sessions, queues, prefixes and requests.

This file owns the connections to hsysd (the control channel and the data
channels of each session, docs/protocol.md "Sessions and channels"), the
per-request credit in both directions, and reconnecting after hsysd hands
over to a new hsysd (GOAWAY) or stops. Frames are built and parsed by
hsys.protocol; nothing here parses HTTP.

    import asyncio, hsys

    async def main():
        async with await hsys.connect("hello") as s:
            q = await s.create_queue()
            await q.add_prefix("http://+:8080/hello/")
            async for req in s.requests():
                await req.respond(200, [("Content-Type", "text/plain")],
                                  b"Hello, world\\n")

    asyncio.run(main())
"""
import asyncio
import errno
import grp
import os
import pwd

from . import protocol as P

__all__ = ["connect", "Session", "Queue", "Request", "Error", "Cancelled",
           "socket_path", "state"]

# Seconds Session.close() gives the frames still buffered to reach hsysd.
CLOSE_FLUSH = 10.0
# Bytes queued on a channel that are written at once, without waiting for
# the end of the event loop's turn (libhsys's threshold too).
CORK_BYTES = 32 * 1024


def socket_path():
    """hsysd's socket: $HSYS_HOME/hsysd.sock, else /run/hsys/hsysd.sock."""
    home = os.environ.get("HSYS_HOME")
    return os.path.join(home, "hsysd.sock") if home else \
        "/run/hsys/hsysd.sock"


class Error(Exception):
    """hsysd refused an operation (ERROR), or the session broke.

    `code` is the errno value hsysd sent (errno.EACCES, errno.EEXIST, ...),
    `message` its sentence for a human."""

    def __init__(self, code, message):
        self.code, self.message = code, message
        name = errno.errorcode.get(code, str(code))
        super().__init__("%s: %s" % (name, message))


class Cancelled(Error):
    """The request is over: the client went away (CANCEL), hsysd refused
    the response, or the session carrying it ended."""

    def __init__(self, message="the request was cancelled"):
        super().__init__(errno.ECANCELED, message)


class _Conn(asyncio.Protocol):
    """One Unix stream connection to hsysd carrying frames.

    Output is corked: frames sent in one turn of the event loop are
    queued and leave in one write, from a callback scheduled with
    call_soon when the first of them is queued (it runs before the loop
    can sleep: a lone response is never held past this turn), or at once
    when CORK_BYTES are queued (so a large body does not pile up here,
    and the transport's pause_writing back-pressure sees it). Frames
    received are handled as soon as they are whole."""

    def __init__(self, on_frame, on_lost, max_frame=P.DEFAULT_MAX_FRAME):
        self.on_frame, self.on_lost = on_frame, on_lost
        self.max_frame = max_frame
        self.buf = bytearray()
        self.need = 0
        self.out = []
        self.queued = 0         # bytes in out
        self.flushing = False   # a _flush is scheduled
        self.transport = None
        self.closed = False
        self.writes = 0         # writes made (tests and benches count them)
        self.writable = asyncio.Event()
        self.writable.set()
        # Done once the socket is closed: after close(), once what was
        # buffered went.
        self.lost = asyncio.get_running_loop().create_future()

    def connection_made(self, transport):
        self.transport = transport

    def data_received(self, data):
        if self.buf:
            # A frame is being gathered: wait until it is whole.
            self.buf += data
            if len(self.buf) < self.need:
                return
            data = bytes(self.buf)
            self.buf = bytearray()
        try:
            got, used = P.frames(data, 0, self.max_frame)
        except P.ProtocolError as e:
            self.send(P.frame(P.ERROR, 0, P.error(errno.EPROTO, str(e))))
            self.close()
            return
        if used < len(data):
            self.buf = bytearray(data[used:])
            self.need = P.HEADER_SIZE if len(self.buf) < P.HEADER_SIZE \
                else P.frame_size(P.HEADER.unpack_from(self.buf)[0])
        for ftype, flags, fid, payload in got:
            if self.closed:
                break
            self.on_frame(self, ftype, flags, fid, payload)

    def connection_lost(self, exc):
        self.closed = True
        self.writable.set()
        if not self.lost.done():
            self.lost.set_result(None)
        self.on_lost(self)

    async def drained(self):
        """Waits until what was sent left this process (or the socket
        closed)."""
        self._flush()
        if self.closed or not self.transport.get_write_buffer_size():
            return
        # Paused while anything is buffered, resumed once nothing is.
        self.transport.set_write_buffer_limits(high=0)
        await self.writable.wait()

    def pause_writing(self):
        self.writable.clear()

    def resume_writing(self):
        self.writable.set()

    def send(self, data):
        if self.closed:
            return
        self.out.append(data)
        self.queued += len(data)
        if self.queued >= CORK_BYTES:
            self._flush()
        elif not self.flushing:
            self.flushing = True
            asyncio.get_running_loop().call_soon(self._scheduled)

    def _scheduled(self):
        self.flushing = False
        self._flush()

    def _flush(self):
        out, self.out, self.queued = self.out, [], 0
        if not out or self.closed:
            return
        self.writes += 1
        self.transport.write(out[0] if len(out) == 1 else b"".join(out))

    def close(self):
        if self.transport is not None and not self.closed:
            self._flush()
            self.transport.close()
        self.closed = True


async def _dial(path, on_frame, on_lost, first_frame):
    loop = asyncio.get_running_loop()
    _, conn = await loop.create_unix_connection(
        lambda: _Conn(on_frame, on_lost), path)
    conn.send(first_frame)
    return conn


class _Link:
    """One session with one hsysd: its control channel, data channels and
    the requests they carry. A Session has one current link; after a
    handover it keeps the old one until that daemon closes it."""

    def __init__(self, session):
        self.session = session
        self.ctl = None
        self.chans = []
        self.welcome = None
        self.ops = {}
        self.op = 0
        self.reqs = {}
        self.queues = {}        # queue id -> Queue
        self.retired = False
        self.closed = False
        self.closing = False    # aclose() waits for the data channels
        self._welcome = asyncio.get_running_loop().create_future()

    async def open(self, path, name, flags):
        self.ctl = await _dial(path, self._ctl_frame, self._ctl_lost,
                               P.frame(P.HELLO, 0, P.hello(name, flags)))
        self.welcome = w = await self._welcome
        self.ctl.max_frame = max(w["max_frame"], P.DEFAULT_MAX_FRAME)
        for i in range(w["workers"]):
            c = await _dial(path, self._chan_frame, self._chan_lost,
                            P.frame(P.CHANNEL, 0, P.channel(
                                w["session"], w["key"], i)))
            c.max_frame = self.ctl.max_frame
            c.index = i
            self.chans.append(c)

    # --- control channel ---

    def _ctl_frame(self, conn, ftype, flags, fid, p):
        if ftype == P.WELCOME and not self._welcome.done():
            self._welcome.set_result(P.parse_welcome(p))
            return
        if ftype == P.GOAWAY:
            self.session._goaway(self, P.parse_goaway(p))
            return
        if ftype == P.ERROR and not self._welcome.done():
            self._welcome.set_exception(Error(*P.parse_error(p)))
            return
        fut = self.ops.pop(fid, None) if fid else None
        if fut is None:
            if ftype == P.ERROR:        # id 0: the session is over
                self.session._lost(self, Error(*P.parse_error(p)))
            return
        if fut.done():
            return
        if ftype == P.OK:
            fut.set_result(bytes(p))
        elif ftype == P.ERROR:
            fut.set_exception(Error(*P.parse_error(p)))
        else:
            fut.set_exception(Error(errno.EPROTO, "hsysd answered an "
                                    "operation with type 0x%x" % ftype))

    def _ctl_lost(self, conn):
        err = Error(errno.ECONNRESET, "hsysd closed the session")
        if not self._welcome.done():
            self._welcome.set_exception(err)
        self._fail_ops(err)
        self.session._lost(self, err)

    def _fail_ops(self, err):
        ops, self.ops = self.ops, {}
        for fut in ops.values():
            if not fut.done():
                fut.set_exception(err)

    async def call(self, ftype, payload):
        """Sends an operation; returns OK's payload or raises Error."""
        if self.ctl is None or self.ctl.closed:
            raise Error(errno.ECONNRESET, "the session is closed")
        self.op += 1
        fut = asyncio.get_running_loop().create_future()
        self.ops[self.op] = fut
        self.ctl.send(P.frame(ftype, self.op, payload))
        return await fut

    # --- data channels ---

    def _chan_frame(self, conn, ftype, flags, fid, p):
        if ftype == P.REQUEST:
            f = P.request_fields(p)
            req = Request(self, conn, fid, f)
            self.reqs[fid] = req
            if self.session.on_request is not None:
                self.session.on_request(req)
            else:
                self.session._incoming.put_nowait(req)
            return
        req = self.reqs.get(fid)
        if ftype == P.REQ_DATA:
            if req is not None:
                req._feed(p, flags)
        elif ftype == P.RESP_CREDIT:
            if req is not None:
                req._credit(P.parse_credit(p))
        elif ftype == P.CANCEL:
            if req is not None:
                req._fail(Cancelled("the client went away"))
        elif ftype == P.ERROR:
            code, msg = P.parse_error(p)
            if req is not None:
                req._fail(Cancelled("hsysd refused the response: " + msg))
            elif fid == 0:
                self.session._lost(self, Error(code, msg))

    def _chan_lost(self, conn):
        for req in list(self.reqs.values()):
            if req._conn is conn:
                req._fail(Cancelled("the channel to hsysd closed"))
        if self.closing:
            return
        if self.retired:
            if all(c.closed for c in self.chans):
                self.session._lost(self, None)
        else:
            self.session._lost(self, Error(errno.ECONNRESET,
                                           "a data channel closed"))

    def forget(self, req):
        self.reqs.pop(req.id, None)

    async def aclose(self, timeout=CLOSE_FLUSH):
        """close(), once the frames sent on the data channels are all in
        the kernel's hands (at most `timeout` seconds): hsysd ends the
        session when any of its channels closes, and a response's last
        frames still in this process's buffers would be lost with it."""
        if self.closed or self.closing:
            return self.close()
        self.closing = True
        conns = [c for c in self.chans if not c.closed]
        if conns:
            waits = [asyncio.ensure_future(c.drained()) for c in conns]
            _, late = await asyncio.wait(waits, timeout=timeout)
            for t in late:
                t.cancel()
        self.close()
        if self.ctl is not None:
            conns.append(self.ctl)
        lost = [c.lost for c in conns if c.transport is not None]
        if lost:
            await asyncio.wait(lost, timeout=timeout)

    def close(self):
        self.closed = True
        for c in self.chans:
            c.close()
        if self.ctl is not None:
            self.ctl.close()
        self._fail_ops(Error(errno.ECONNRESET, "the session is closed"))
        for req in list(self.reqs.values()):
            req._fail(Cancelled("the session closed"))


def _uid(user):
    """A uid from an int, a string of digits, or a user name."""
    if isinstance(user, int):
        return user
    if user.isdigit():
        return int(user)
    try:
        return pwd.getpwnam(user).pw_uid
    except KeyError:
        raise Error(errno.EINVAL, "no user %r" % user) from None


def _gid(group):
    """A gid from an int, a string of digits, or a group name."""
    if isinstance(group, int):
        return group
    if group.isdigit():
        return int(group)
    try:
        return grp.getgrnam(group).gr_gid
    except KeyError:
        raise Error(errno.EINVAL, "no group %r" % group) from None


class Queue:
    """A request queue this session serves (QUEUE_CREATE or QUEUE_ATTACH).

    Its prefixes, length, grace period and the users it allows are
    remembered, so that they are set again on a new session after hsysd
    hands over."""

    def __init__(self, session, name, flags, max_waiting):
        self.session = session
        self.name = name
        self.flags = flags
        self.max_waiting = max_waiting
        self.attached = False       # True: made by someone else
        self.id = None
        self.prefixes = []
        self.props = {}
        self.allowed = []           # [(QUEUE_ALLOW_UID or _GID, id)]
        self.closed = False

    @property
    def owner(self):
        """The owner named in an "owner/name" queue attached to, else
        None (the queue is this user's)."""
        return self.name.partition("/")[0] if "/" in self.name else None

    @property
    def open(self):
        """Whether other users' processes may attach (QUEUE_CREATE OPEN)."""
        return bool(self.flags & P.QUEUE_F_OPEN)

    async def add_prefix(self, prefix):
        """Registers a UrlPrefix (`https://+:443/app/`) on this queue.

        Raises Error: EACCES (no reservation lets this user listen there),
        EEXIST (another queue has it), EINVAL, EPROTO (scheme and port
        disagree). The message says why."""
        await self.session._call(P.PREFIX_ADD, lambda: P.prefix_op(
            self.id, prefix))
        self.prefixes.append(prefix)

    async def remove_prefix(self, prefix):
        await self.session._call(P.PREFIX_REMOVE, lambda: P.prefix_op(
            self.id, prefix))
        if prefix in self.prefixes:
            self.prefixes.remove(prefix)

    async def flush_cache(self, prefix=None, recursive=True):
        """Drops this queue's responses from hsysd's response cache:
        those under `prefix` (recursive: its whole tree, else the URL it
        names), or all of them (HttpFlushResponseCache). Raises Error
        EOPNOTSUPP when the daemon has no response cache."""
        if not self.session.welcome["features"] & P.FEATURE_CACHE:
            raise Error(errno.EOPNOTSUPP, "this hsysd has no response "
                        "cache; upgrade it")
        await self.session._call(P.CACHE_FLUSH, lambda: P.cache_flush(
            self.id, prefix or b"", recursive))

    async def set_length(self, n):
        """The queue's length: at most n requests waiting (1 to 65535,
        HTTP.sys's HttpServerQueueLengthProperty); more get 503."""
        await self._set(P.QUEUE_LENGTH, n)

    async def set_grace(self, ms):
        """How long (0 to 300000 ms) the queue outlives its last process,
        holding requests for the next one (docs/protocol.md)."""
        await self._set(P.QUEUE_GRACE, ms)

    async def _set(self, prop, value):
        link = await self.session._current()
        if not link.welcome["features"] & P.FEATURE_QUEUE_SET:
            raise Error(errno.EOPNOTSUPP, "this hsysd cannot set queue "
                        "properties (no QUEUE_SET in its WELCOME)")
        await self.session._call(P.QUEUE_SET, lambda: P.queue_set(
            self.id, prop, value))
        self.props[prop] = value

    async def allow(self, user):
        """Lets processes of `user` (a uid, or a user name) attach to this
        open queue as "owner/name" and serve it: the owner's consent
        (HTTP.sys's request queue security descriptor; libhsys's
        hsys_queue_allow). Nobody but the owner and root attaches
        otherwise, whatever the URL reservations say.

        Raises Error: EINVAL (the queue is not open, or no such user),
        EPERM (only the owner's processes may allow), ENOSPC (64 uids and
        gids already), EOPNOTSUPP (this hsysd cannot restrict who attaches:
        it would let every user attach an open queue)."""
        await self._allow(P.QUEUE_ALLOW_UID, _uid(user))

    async def allow_group(self, group):
        """allow() for the members of a group (a gid, or a group name):
        its members by their primary group or the group database."""
        await self._allow(P.QUEUE_ALLOW_GID, _gid(group))

    async def _allow(self, prop, ident):
        link = await self.session._current()
        if not link.welcome["features"] & P.FEATURE_QUEUE_ALLOW:
            raise Error(errno.EOPNOTSUPP, "this hsysd cannot restrict who "
                        "attaches to a queue (no QUEUE_ALLOW in its "
                        "WELCOME)")
        await self.session._call(P.QUEUE_SET, lambda: P.queue_set(
            self.id, prop, ident))
        if (prop, ident) not in self.allowed:
            self.allowed.append((prop, ident))

    async def close(self):
        """Stops receiving this queue's requests (QUEUE_CLOSE). Requests
        already given are still answered; a few routed before hsysd learnt
        of the close may still arrive."""
        if self.closed:
            return
        self.closed = True
        self.session._queues.remove(self)
        await self.session._call(P.QUEUE_CLOSE, lambda: P.queue_close(
            self.id))


# Method names as str, without decoding each request's.
_METHOD_NAMES = {m.encode(): m for m in P.METHODS.values()}


class Request:
    """One HTTP request hsysd gave this process.

    Attributes (bytes unless said): method (str), raw_url, path (decoded,
    the cooked URL's path), query (undecoded), host, prefix (the UrlPrefix
    that matched, as registered), headers [(name, value)], version
    ((1, 1)), peer and local ((host, port)), tls (protocol, cipher, group;
    b"" without TLS), sni, client_cert (DER), content_length (None when
    chunked or absent), connection_id, queue (the Queue), and flags. After
    the body's end, `trailers` holds a chunked upload's trailer fields.

    The body is read with read(); the answer is start_response() and
    write()/end(), or respond(). Reading and writing both wait for credit,
    so a slow client slows the application and the reverse, never
    buffering more than hsysd's window per direction."""

    def __init__(self, link, conn, rid, f):
        # Made for every request: plain assignments, and the Events only
        # once something waits on them.
        # f: hsys.protocol.request_fields()'s tuple.
        self._link, self._conn, self.id = link, conn, rid
        (queue_id, method_code, self.version, self.flags,
         self.content_length, self.connection_id, self.peer, self.local, m,
         self.raw_url, self.path, self.query, self.host, self.prefix,
         self.tls, self.sni, self.client_cert, self.headers) = f
        flags = self.flags
        self.method = _METHOD_NAMES.get(m) or (
            m.decode("latin-1") if m else P.METHODS.get(method_code, ""))
        self.queue = link.queues.get(queue_id)
        self.trailers = []
        w = link.welcome
        self._window = self._send_credit = w["window"]
        self._max_frame = w["max_frame"]
        self._chunks = []
        self._buffered = 0
        self._uncredited = 0
        self._asked = False
        self._eof = not (flags & P.REQ_BODY)
        self._readable = None       # Events, made when waited on
        self._credited = None
        self.status = None          # the final status, once sent
        self.tunnel = False
        self._ended = False         # the response's END was sent
        self._done = False
        self._error = None
        self._over = None           # an Event, made when waited for

    # --- facts ---

    @property
    def is_tls(self):
        return bool(self.flags & P.REQ_TLS)

    @property
    def upgrade(self):
        """True when the client asked to switch protocols (a 101 may
        answer it; docs/protocol.md "Upgrade")."""
        return bool(self.flags & P.REQ_UPGRADE)

    @property
    def keepalive(self):
        return bool(self.flags & P.REQ_KEEPALIVE)

    @property
    def chunked(self):
        return bool(self.flags & P.REQ_CHUNKED)

    @property
    def has_body(self):
        return bool(self.flags & P.REQ_BODY)

    @property
    def body_done(self):
        """True once the whole body was read (or there is none)."""
        return self._eof and not self._chunks

    @property
    def cancelled(self):
        return self._error is not None

    def header(self, name, default=None):
        """The first value of a header (case-insensitive name), as bytes."""
        name = P._b(name).lower()
        for k, v in self.headers:
            if k.lower() == name:
                return v
        return default

    # --- the body ---

    def _feed(self, p, flags):
        if self._done or self._eof:
            return
        if flags & P.F_TRAILERS:
            self.trailers = P.parse_trailers(p)
        elif len(p):
            self._chunks.append(bytes(p))
            self._buffered += len(p)
        if flags & P.F_END:
            self._eof = True
            if self._ended:
                self._finish()
        if self._readable is not None:
            self._readable.set()

    async def read(self, n=-1):
        """Up to n bytes of the body (all of it when n < 0); b"" at its
        end. In a 101 tunnel: the client's bytes, b"" once it half-closed.
        Raises Cancelled when the request is over."""
        if n < 0:
            parts = []
            while True:
                b = await self.read(1 << 20)
                if not b:
                    return b"".join(parts)
                parts.append(b)
        while not self._chunks:
            if self._error is not None:
                raise self._error
            if self._eof:
                return b""
            if not self._asked:
                # "send me the body": some daemons wait for it.
                self._asked = True
                self._conn.send(P.frame(P.REQ_CREDIT, self.id, P.credit(0)))
            if self._readable is None:
                self._readable = asyncio.Event()
            self._readable.clear()
            await self._readable.wait()
        b = self._chunks[0]
        if len(b) <= n:
            self._chunks.pop(0)
        else:
            self._chunks[0] = b[n:]
            b = b[:n]
        self._consumed(len(b))
        return b

    def read_nowait(self, n):
        """What read(n) would return at once, or None when it would wait."""
        if not self._chunks:
            if self._error is not None:
                raise self._error
            return b"" if self._eof else None
        b = self._chunks[0]
        if len(b) <= n:
            self._chunks.pop(0)
        else:
            self._chunks[0] = b[n:]
            b = b[:n]
        self._consumed(len(b))
        return b

    def _consumed(self, n):
        self._buffered -= n
        self._uncredited += n
        # Credit in quarters of the window, or all once the buffer is empty
        # and hsysd may be waiting: fewer frames, never a stall.
        if self._uncredited >= self._window // 4 or (
                not self._buffered and not self._eof):
            if self._uncredited and not self._done:
                self._conn.send(P.frame(P.REQ_CREDIT, self.id,
                                        P.credit(self._uncredited)))
            self._uncredited = 0
            self._asked = True

    # --- the response ---

    async def send_interim(self, status, headers=()):
        """An interim response (100-199 but 101: 103 Early Hints, ...);
        the final one follows. hsysd drops it for HTTP/1.0 clients."""
        if not 100 <= status < 200 or status == 101:
            raise ValueError("an interim status is 1xx but 101")
        self._check()
        self._conn.send(P.frame(P.RESPONSE, self.id,
                                P.response(status, headers)))

    def _cache_ttl(self, status, cache):
        """RESPONSE's cache TTL, or None: only a final response may be
        cached, and only by a daemon that has the cache (an older one
        serves it as usual)."""
        if cache is None or status < 200 or \
                not self._link.welcome["features"] & P.FEATURE_CACHE:
            return None
        if not 0 <= cache < 1 << 32:
            raise ValueError("cache is a TTL in seconds (0: until flushed)")
        return cache

    async def start_response(self, status, headers=(), reason=b"",
                             end=False, cache=None):
        """Sends the status and headers; the body follows with write() and
        end(), unless end=True (no body). Headers are (name, value) pairs
        of str or bytes. hsysd adds Date, Server and the framing (chunked
        when there is no Content-Length).

        101 (only to a request with `upgrade`) turns the connection into a
        tunnel: read() gives the client's bytes, write() sends bytes to it,
        end() half-closes.

        cache=TTL lets hsysd keep the response and answer the same URL
        from memory for TTL seconds (0: until Queue.flush_cache(), the
        prefix's removal or the queue's end); see docs/cache.md for what
        it keeps."""
        self._check()
        if self.status is not None:
            raise RuntimeError("the response was already started")
        if 100 <= status < 200 and status != 101:
            return await self.send_interim(status, headers)
        self.status = status
        if status == 101:
            self.tunnel = True
            self._eof = False
        self._conn.send(P.frame(P.RESPONSE, self.id, P.response(
            status, headers, reason, end, self._cache_ttl(status, cache))))
        if end:
            self._end_sent()

    async def write(self, data):
        """Sends body bytes (or tunnel bytes), waiting for hsysd's credit:
        at most its window is ever in flight for this request."""
        if self.status is None:
            raise RuntimeError("write() before start_response()")
        mv = memoryview(data)
        while len(mv):
            n = await self._room(len(mv))
            self._conn.send(P.frame(P.RESP_DATA, self.id, bytes(mv[:n])))
            mv = mv[n:]

    async def end(self, data=b"", trailers=()):
        """Sends the last body bytes (may be none) and ends the response,
        with trailer fields when given ((name, value) pairs: gRPC's
        grpc-status; HTTP/2 clients get them after the body, HTTP/1.1
        clients in the last chunk of a chunked response). In a tunnel: the
        end of the application's side (a half-close)."""
        if self._ended:
            return
        if trailers and self.tunnel:
            raise Error(errno.EINVAL, "a tunnel has no trailers")
        if trailers and not self.trailers_supported:
            raise Error(errno.EOPNOTSUPP, "this hsysd is older than "
                        "response trailers")
        if data:
            await self.write(data)
        self._check()
        if trailers:
            self._conn.send(P.frame(P.RESP_DATA, self.id,
                                    P.trailers(list(trailers)),
                                    P.F_TRAILERS | P.F_END))
        else:
            self._conn.send(P.frame(P.RESP_DATA, self.id, b"", P.F_END))
        self._end_sent()

    @property
    def trailers_supported(self):
        """True when hsysd takes response trailers (end(trailers=...))."""
        return bool(self._link.welcome["features"] &
                    P.FEATURE_RESP_TRAILERS)

    async def respond(self, status, headers=(), body=b"", reason=b"",
                      cache=None):
        """A whole response at once: status, headers, body (cache: as
        start_response's)."""
        if self.respond_nowait(status, headers, body, reason, cache):
            return
        await self.start_response(status, headers, reason, cache=cache)
        await self.end(body)

    def respond_nowait(self, status, headers=(), body=b"", reason=b"",
                       cache=None):
        """respond() when it needs no waiting (the body fits the credit
        hsysd gave): True when sent, False when respond() is needed. For
        callers outside a coroutine (a callback on the loop)."""
        self._check()
        if self.status is not None:
            raise RuntimeError("the response was already started")
        ttl = self._cache_ttl(status, cache)
        if not body:
            self.status = status
            self._conn.send(P.frame(P.RESPONSE, self.id, P.response(
                status, headers, reason, True, ttl)))
            self._end_sent()
            return True
        if len(body) > min(self._send_credit, self._max_frame) or \
                not self._conn.writable.is_set():
            return False
        self.status = status
        self._send_credit -= len(body)
        if body.__class__ is not bytes:
            body = bytes(body)
        # Two frames, written with whatever else this turn of the loop
        # sends (one write).
        send = self._conn.send
        send(P.frame(P.RESPONSE, self.id, P.response(status, headers,
                                                     reason, False, ttl)))
        send(P.frame(P.RESP_DATA, self.id, body, P.F_END))
        self._end_sent()
        return True

    def cancel(self):
        """Aborts the request: hsysd answers 500, or resets the client
        connection when the response had started."""
        if self._done:
            return
        self._conn.send(P.frame(P.CANCEL, self.id))
        self._fail(Cancelled("cancelled by the application"))

    async def _room(self, want):
        while True:
            self._check()
            if self._send_credit > 0:
                break
            if self._credited is None:
                self._credited = asyncio.Event()
            self._credited.clear()
            await self._credited.wait()
        if not self._conn.writable.is_set():
            await self._conn.writable.wait()
            self._check()
        n = min(want, self._send_credit, self._max_frame)
        self._send_credit -= n
        return n

    def _credit(self, n):
        self._send_credit += n
        if self._credited is not None:
            self._credited.set()

    def _check(self):
        if self._error is not None:
            raise self._error
        if self._ended:
            raise RuntimeError("the response has ended")

    def _end_sent(self):
        self._ended = True
        # A tunnel lives on until the client ends its side too.
        if not self.tunnel or self._eof:
            self._finish()

    async def wait_done(self):
        """Waits until the request is over: its response (and, in a
        tunnel, the client's side) ended, or it was cancelled."""
        if self._done:
            return
        if self._over is None:
            self._over = asyncio.Event()
        await self._over.wait()

    def _finish(self):
        self._done = True
        self._link.forget(self)
        if self._over is not None:
            self._over.set()

    def _fail(self, err):
        if self._done and self._ended:
            return
        self._error = err
        self._finish()
        if self._readable is not None:
            self._readable.set()
        if self._credited is not None:
            self._credited.set()


class Session:
    """A session with hsysd: queues, prefixes, and the requests they bring.

    Made by connect(). Requests of all its queues come from requests() or
    next_request(). With reconnect (the default) the session survives
    hsysd handing over to a new hsysd (GOAWAY) or restarting: it opens a
    new session, makes its queues again and registers their prefixes
    again; requests in flight on the old session are answered there."""

    def __init__(self, name, path, reconnect):
        self.name, self.path = name, path
        self.reconnect_limit = reconnect
        self._link = None
        self._old = []
        self._queues = []
        self._incoming = asyncio.Queue()
        self._ready = asyncio.Event()
        self._closed = False
        self._reconnecting = None
        self.reconnects = 0
        self.on_reconnect = None    # called with the session after one
        # Called with each request as it arrives, instead of queueing it
        # for next_request(): servers that start a task per request save
        # a hop through the event loop.
        self.on_request = None

    # --- facts from WELCOME ---

    @property
    def welcome(self):
        """The current WELCOME as a dict (version, workers, max_frame,
        window, max_waiting, session, generation, features)."""
        return dict(self._link.welcome)

    @property
    def window(self):
        return self._link.welcome["window"]

    async def _open(self):
        link = _Link(self)
        flags = P.HELLO_F_GOAWAY if self.reconnect_limit else 0
        try:
            await link.open(self.path, self.name, flags)
        except BaseException:
            link.close()
            raise
        self._link = link
        self._ready.set()
        return link

    async def _current(self):
        while not self._ready.is_set():
            if self._closed:
                raise Error(errno.ECONNRESET, "the session is closed")
            await self._ready.wait()
        return self._link

    async def _call(self, ftype, payload_of):
        """An operation on the current session; payload_of is called once
        the session is there (queue ids change on a new session)."""
        link = await self._current()
        return await link.call(ftype, payload_of())

    # --- queues ---

    async def create_queue(self, name="", *, open=False, length=None,
                           grace=None, allow=(), allow_groups=()):
        """A new queue: anonymous (name "") or named. A name is this
        user's own (no "/"): other processes of this user may attach to
        it; another user's queue of the same name is another queue.

        open=True lets the users the queue allows attach as "owner/name"
        (needs root or a reservation granting delegate=yes; EACCES
        otherwise). allow (uids or user names) and allow_groups (gids or
        group names) are those users (Queue.allow); giving either makes
        the queue open. length and grace set its length and grace period
        (set_length, set_grace). Raises Error (EEXIST: this user has a
        queue of that name; attach to it instead)."""
        open = open or bool(allow) or bool(allow_groups)
        flags = (P.QUEUE_F_NAMED if name else 0) | \
            (P.QUEUE_F_OPEN if open else 0)
        q = Queue(self, name, flags, 0)
        await self._make(q, P.QUEUE_CREATE)
        await self._props(q, length, grace, allow, allow_groups)
        return q

    async def attach_queue(self, name, *, length=None, grace=None,
                           allow=(), allow_groups=()):
        """Serves an existing named queue with the processes already on it
        (QUEUE_ATTACH): "name" is this user's queue; "owner/name" another
        user's (owner a user name or a uid: "alice/jobs", "1000/jobs"),
        which it created open and allowed this user to attach to.

        Raises Error: ENOENT (no such queue), EACCES (its owner has not
        allowed this user), EOPNOTSUPP ("owner/name" to an hsysd too old
        to scope names per owner). allow and allow_groups: as
        create_queue(), for a queue of this user's."""
        if "/" in name:
            link = await self._current()
            if not link.welcome["features"] & P.FEATURE_QUEUE_ALLOW:
                # An older hsysd's names are global: "alice/jobs" would be
                # a name of its own there, not alice's queue.
                raise Error(errno.EOPNOTSUPP, "this hsysd does not scope "
                            "queue names per owner (no QUEUE_ALLOW in its "
                            "WELCOME): cannot attach to %r" % name)
        q = Queue(self, name, P.QUEUE_F_NAMED, 0)
        q.attached = True
        await self._make(q, P.QUEUE_ATTACH)
        await self._props(q, length, grace, allow, allow_groups)
        return q

    async def queue(self, name, *, open=False, length=None, grace=None,
                    allow=(), allow_groups=()):
        """Attaches to the named queue, or creates it when there is none:
        what every process of a multi-process server or a new version of
        an application does (docs/deploy.md). Another user's queue
        ("owner/name") is only attached to: it is that user's to create."""
        kw = dict(length=length, grace=grace, allow=allow,
                  allow_groups=allow_groups)
        if "/" in name:
            return await self.attach_queue(name, **kw)
        for _ in range(3):
            try:
                return await self.attach_queue(name, **kw)
            except Error as e:
                if e.code != errno.ENOENT:
                    raise
            try:
                return await self.create_queue(name, open=open, **kw)
            except Error as e:
                if e.code != errno.EEXIST:
                    raise
        raise Error(errno.EAGAIN, "the queue %r kept appearing and going"
                    % name)

    async def _make(self, q, ftype, link=None):
        if link is None:
            link = await self._current()
        if ftype == P.QUEUE_CREATE:
            payload = P.queue_create(q.name, q.flags, q.max_waiting)
        else:
            payload = P.queue_attach(q.name)
        ok = await link.call(ftype, payload)
        q.id = int.from_bytes(ok[:4], "little")
        link.queues[q.id] = q
        if q not in self._queues:
            self._queues.append(q)

    async def _props(self, q, length, grace, allow=(), allow_groups=()):
        if length is not None:
            await q.set_length(length)
        if grace is not None:
            await q.set_grace(grace)
        for user in allow:
            await q.allow(user)
        for group in allow_groups:
            await q.allow_group(group)

    # --- requests ---

    async def next_request(self, timeout=None):
        """The next request, or None after `timeout` seconds or once the
        session is closed."""
        if self._closed and self._incoming.empty():
            return None
        try:
            req = await asyncio.wait_for(self._incoming.get(), timeout)
        except asyncio.TimeoutError:
            return None
        if req is None:
            self._incoming.put_nowait(None)     # for the next caller
        return req

    async def requests(self):
        """Iterates the requests until the session is closed."""
        while True:
            req = await self.next_request()
            if req is None:
                return
            yield req

    # --- reconnecting ---

    def _goaway(self, link, flags):
        if not flags & P.GOAWAY_F_RECONNECT or link is not self._link or \
                not self.reconnect_limit:
            return
        # The old session stays open: requests still come on it.
        link.retired = True
        self._old.append(link)
        self._start_reconnect()

    def _lost(self, link, err):
        if link.retired or link.closed:
            if link in self._old:
                self._old.remove(link)
            link.close()
            return
        link.close()
        if link is not self._link or self._closed:
            return
        if not self.reconnect_limit:
            self._end()
            return
        self._start_reconnect()

    def _start_reconnect(self):
        self._ready.clear()
        if self._reconnecting is None or self._reconnecting.done():
            self._reconnecting = asyncio.get_running_loop().create_task(
                self._reconnect())

    async def _reconnect(self):
        loop = asyncio.get_running_loop()
        since, delay = loop.time(), 0.0
        while not self._closed:
            try:
                link = _Link(self)
                flags = P.HELLO_F_GOAWAY
                await link.open(self.path, self.name, flags)
                self._link = link
                for q in list(self._queues):
                    await self._again(link, q)
                self.reconnects += 1
                self._ready.set()
                if self.on_reconnect:
                    self.on_reconnect(self)
                return
            except (Error, OSError, P.ProtocolError) as e:
                link.close()
                if loop.time() - since >= self.reconnect_limit:
                    self._error = e
                    self._end()
                    return
            delay = 0.05 if delay == 0 else min(delay * 2, 1.0)
            await asyncio.sleep(delay)

    async def _again(self, link, q):
        """The queue made again on a new session, as libhsys does: created
        (or attached, when another process made it first), its properties
        and prefixes set again."""
        ftype = P.QUEUE_ATTACH if q.attached else P.QUEUE_CREATE
        try:
            await self._make(q, ftype, link)
        except Error as e:
            # Another user's queue ("owner/name") is that user's to make.
            if q.attached and e.code == errno.ENOENT and q.owner is None:
                await self._make(q, P.QUEUE_CREATE, link)
            elif not q.attached and e.code == errno.EEXIST:
                await self._make(q, P.QUEUE_ATTACH, link)
            else:
                raise
        for prop, value in q.props.items():
            await link.call(P.QUEUE_SET, P.queue_set(q.id, prop, value))
        for prop, ident in q.allowed:
            # A refusal leaves the safe side (fewer users admitted) and
            # must not stop the reconnection: another process of the owner
            # may have made the queue again, not open.
            try:
                await link.call(P.QUEUE_SET, P.queue_set(q.id, prop, ident))
            except Error as e:
                if e.code not in (errno.EINVAL, errno.EPERM, errno.ENOSPC):
                    raise
        for prefix in q.prefixes:
            try:
                await link.call(P.PREFIX_ADD, P.prefix_op(q.id, prefix))
            except Error as e:
                if e.code != errno.EEXIST:
                    raise

    # --- closing ---

    def _end(self):
        self._closed = True
        self._ready.set()
        self._incoming.put_nowait(None)

    async def close(self):
        """Ends the session: its queues lose this process (a queue whose
        last process this was enters its grace period)."""
        if self._reconnecting is not None:
            self._reconnecting.cancel()
        self._end()
        for link in [self._link] + self._old:
            if link is not None:
                await link.aclose()

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc):
        await self.close()


async def connect(name="python", path=None, *, reconnect=30.0):
    """Opens a session with hsysd (HELLO, WELCOME, the data channels).

    name: the application's name in hsysd's logs and servicestate (cut
    to 63 printable ASCII characters).
    path: hsysd's socket (default: socket_path()).
    reconnect: seconds to keep trying to open a new session after hsysd
    handed over or went away (0: never; the session then ends)."""
    # hsysd takes at most 63 bytes of printable ASCII as a name.
    name = "".join(c if " " <= c <= "~" else "?" for c in name)[:63]
    s = Session(name, path or socket_path(), reconnect)
    await s._open()
    return s


async def state(path=None, view=0, text=False, timeout=10.0):
    """What `hsys http show servicestate` shows: the parsed JSON (a dict),
    or the readable tree (str) with text=True. view: 0 all, 1 server, 2
    listeners, 3 queues."""
    import json
    reader, writer = await asyncio.open_unix_connection(path or
                                                        socket_path())
    try:
        flags = (1 if text else 0) | (view << 8)
        writer.write(P.frame(P.STATE, 1, P.credit(flags)))
        head = await asyncio.wait_for(reader.readexactly(16), timeout)
        length, ftype, _, _ = P.HEADER.unpack(head)
        body = await asyncio.wait_for(reader.readexactly(
            length + (-length % 8)), timeout)
        body = body[:length]
    finally:
        writer.close()
    if ftype == P.ERROR:
        raise Error(*P.parse_error(body))
    return body.decode() if text else json.loads(body)
