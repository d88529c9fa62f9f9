"""The hsys wire protocol's frames, encoded and decoded (docs/protocol.md).

Pure functions over bytes, no I/O: the asyncio client (hsys.client) and
the test that checks this module against the C one (src/proto) both use
them. Written from docs/protocol.md alone; where that page was not enough,
the page was fixed, not this file.

Numbers are little-endian; a frame is a 16-byte header
(u32 length, u16 type, u16 flags, u64 id), the payload, and zero padding
to a multiple of 8.
"""
import socket
import struct

MAGIC = 0x53595348          # "HSYS"
VERSION = 1
HEADER = struct.Struct("<IHHQ")
HEADER_SIZE = 16
DEFAULT_MAX_FRAME = 1 << 20
DEFAULT_WINDOW = 256 << 10

# Message types.
HELLO, WELCOME, CHANNEL, ERROR, OK = 0x1, 0x2, 0x3, 0x4, 0x5
QUEUE_CREATE, QUEUE_ATTACH, PREFIX_ADD, PREFIX_REMOVE = 0x10, 0x11, 0x12, 0x13
QUEUE_CLOSE, QUEUE_SET, CACHE_FLUSH = 0x14, 0x15, 0x16
GOAWAY = 0x20
REQUEST, REQ_DATA, REQ_CREDIT = 0x100, 0x101, 0x102
RESPONSE, RESP_DATA, RESP_CREDIT, CANCEL = 0x110, 0x111, 0x112, 0x113
CONFIG_CHANGED, STATE = 0xF01, 0xF02
HANDOVER = 0xF10        # a new hsysd to the running one; not for applications

# Flags.
F_END = 0x8000                  # last body frame of a request or response
F_TRAILERS = 0x0001             # REQ_DATA, RESP_DATA: trailer fields
HELLO_F_GOAWAY = 0x1
GOAWAY_F_RECONNECT = 0x1
FEATURE_QUEUE_SET = 0x1          # WELCOME: QUEUE_SET is understood
FEATURE_QUEUE_ALLOW = 0x2        # names per owner, "owner/name", consent
FEATURE_RESP_TRAILERS = 0x4      # RESP_DATA may carry response trailers
FEATURE_CACHE = 0x8              # RESPONSE's CACHE flag, CACHE_FLUSH
QUEUE_F_NAMED, QUEUE_F_OPEN = 0x1, 0x2
QUEUE_LENGTH, QUEUE_GRACE = 1, 2            # QUEUE_SET properties
QUEUE_ALLOW_UID, QUEUE_ALLOW_GID = 3, 4     # (feature 0x2)
QUEUE_ALLOW_MAX = 64            # uids and gids allowed, per queue
RESPONSE_F_END = 0x1
RESPONSE_F_CACHE = 0x2          # the bytes area opens with u32 ttl, u32 0
CACHE_FLUSH_F_RECURSIVE = 0x1

# REQUEST flags.
REQ_BODY, REQ_CHUNKED, REQ_KEEPALIVE = 0x1, 0x2, 0x4
REQ_EXPECT_CONTINUE, REQ_UPGRADE, REQ_TLS, REQ_CLIENT_CERT = \
    0x8, 0x10, 0x20, 0x40

METHODS = {1: "GET", 2: "HEAD", 3: "POST", 4: "PUT", 5: "DELETE",
           6: "OPTIONS", 7: "PATCH", 8: "CONNECT", 9: "TRACE"}
UNKNOWN_LENGTH = (1 << 64) - 1
REQUEST_FIXED = 144
SPANS = ("method", "raw_url", "path", "query", "host", "prefix", "tls",
         "sni", "client_cert")

_U32 = struct.Struct("<I")
_RESP_FIXED = struct.Struct("<HHIII")
_SPAN = struct.Struct("<II")
_ENTRY = struct.Struct("<IIII")


class ProtocolError(Exception):
    """The peer sent something docs/protocol.md does not allow."""


def frame(ftype, fid=0, payload=b"", flags=0):
    """One frame: header, payload, padding."""
    n = len(payload)
    return b"".join((HEADER.pack(n, ftype, flags, fid), payload,
                     _PAD[-n % 8]))


_PAD = [b"\0" * i for i in range(8)]


def frame_size(length):
    """Bytes a frame with a payload of `length` occupies."""
    return HEADER_SIZE + length + (-length % 8)


def frames(buf, start=0, max_payload=DEFAULT_MAX_FRAME):
    """Decodes the complete frames in buf from `start`.

    Returns ([(type, flags, id, payload memoryview)], offset of the first
    byte not consumed). Raises ProtocolError for a length over
    max_payload (the caller may pass a larger bound, as a STATE reply
    needs).
    """
    out = []
    mv = memoryview(buf)
    end = len(buf)
    while end - start >= HEADER_SIZE:
        length, ftype, flags, fid = HEADER.unpack_from(buf, start)
        if length > max_payload:
            raise ProtocolError("a frame of %d bytes (at most %d)" %
                                (length, max_payload))
        size = frame_size(length)
        if end - start < size:
            break
        out.append((ftype, flags, fid,
                    mv[start + HEADER_SIZE:start + HEADER_SIZE + length]))
        start += size
    return out, start


def _b(s):
    return s.encode("latin-1") if isinstance(s, str) else bytes(s)


def with_strings(fixed, *strings):
    """`fixed`, then a span for each string, then the bytes area."""
    spans, area, off = [], [], 0
    for s in strings:
        s = _b(s)
        spans.append(_SPAN.pack(off, len(s)))
        area.append(s)
        off += len(s)
    return b"".join([fixed] + spans + area)


def span(p, at, area):
    """The bytes a span at `at` names, in a bytes area starting at `area`."""
    off, n = _SPAN.unpack_from(p, at)
    start = area + off
    if start + n > len(p):
        raise ProtocolError("a span past the end of its frame")
    return bytes(p[start:start + n])


# --- session set-up ---------------------------------------------------------

def hello(name, flags=HELLO_F_GOAWAY, min_version=VERSION,
          max_version=VERSION):
    """HELLO's payload: magic, versions, flags, the application's name."""
    return with_strings(struct.pack("<IHHII", MAGIC, min_version,
                                    max_version, flags, 0), name)


def parse_hello(p):
    magic, vmin, vmax, flags = struct.unpack_from("<IHHI", p)
    return {"magic": magic, "min_version": vmin, "max_version": vmax,
            "flags": flags, "name": span(p, 16, 24)}


def welcome(version=VERSION, workers=1, max_frame=DEFAULT_MAX_FRAME,
            window=DEFAULT_WINDOW, max_waiting=1000, session=0,
            key=bytes(16), generation=0, features=FEATURE_QUEUE_SET):
    return struct.pack("<HHIIIQ16sQII", version, workers, max_frame, window,
                       max_waiting, session, key, generation, features, 0)


def parse_welcome(p):
    """WELCOME as a dict; `features` is 0 for a 48-byte (older) WELCOME."""
    if len(p) < 48:
        raise ProtocolError("a WELCOME of %d bytes (at least 48)" % len(p))
    (version, workers, max_frame, window, max_waiting, session, key,
     generation) = struct.unpack_from("<HHIIIQ16sQ", p)
    features = _U32.unpack_from(p, 48)[0] if len(p) >= 52 else 0
    return {"version": version, "workers": workers, "max_frame": max_frame,
            "window": window, "max_waiting": max_waiting,
            "session": session, "key": bytes(key), "generation": generation,
            "features": features}


def channel(session, key, index):
    return struct.pack("<Q16sH6x", session, key, index)


def error(code, message):
    return with_strings(struct.pack("<II", code, 0), message)


def parse_error(p):
    """(errno code, message)."""
    code = _U32.unpack_from(p)[0]
    return code, span(p, 8, 16).decode("utf-8", "replace")


# --- queue and prefix operations --------------------------------------------

def queue_create(name="", flags=None, max_waiting=0):
    if flags is None:
        flags = QUEUE_F_NAMED if name else 0
    return with_strings(struct.pack("<II", flags, max_waiting), name)


def queue_attach(name):
    return with_strings(b"", name)


def prefix_op(queue_id, prefix):
    """PREFIX_ADD's and PREFIX_REMOVE's payload."""
    return with_strings(struct.pack("<I4x", queue_id), prefix)


def cache_flush(queue_id, prefix=b"", recursive=True):
    """CACHE_FLUSH's payload: the queue's cached responses under prefix
    (empty: all of them)."""
    return with_strings(struct.pack("<II", queue_id,
                                    CACHE_FLUSH_F_RECURSIVE if recursive
                                    else 0), prefix)


def queue_close(queue_id):
    return _U32.pack(queue_id)


def queue_set(queue_id, prop, value):
    return struct.pack("<IIII", queue_id, prop, value, 0)


def parse_goaway(p):
    return _U32.unpack_from(p)[0] if len(p) >= 4 else 0


# --- requests ---------------------------------------------------------------

# The fixed part: queue..connection_id, the two addresses, 9 spans.
_REQ_FIXED_ALL = struct.Struct("<IHBBHH4xQQ20s20s18I")
_tables = {}                                  # n -> Struct of n entries
_addrs = {}                                   # 20 raw bytes -> (host, port)


def _addr(raw):
    """(host, port) of a 20-byte address (u16 family, u16 port, 16 bytes),
    or None."""
    fam, port = struct.unpack_from("<HH", raw)
    a = None
    if fam == 2:
        a = (socket.inet_ntop(socket.AF_INET, raw[4:8]), port)
    elif fam == 10:
        a = (socket.inet_ntop(socket.AF_INET6, raw[4:20]), port)
    # Addresses repeat (a keep-alive connection, the local address):
    # remember a bounded number of them.
    if len(_addrs) >= 4096:
        _addrs.clear()
    if a is not None:
        _addrs[raw] = a
    return a


def _put_addr(a):
    if a is None:
        return bytes(20)
    host, port = a
    if ":" in host:
        return struct.pack("<HH", 10, port) + socket.inet_pton(
            socket.AF_INET6, host)
    return struct.pack("<HH", 2, port) + socket.inet_pton(
        socket.AF_INET, host) + bytes(12)


def parse_request(p):
    """A REQUEST payload as a dict of its fields (bytes for the strings,
    `headers` a list of (name, value) bytes pairs, `peer`/`local` as
    (host, port) or None)."""
    return dict(zip(REQUEST_FIELDS, request_fields(p)))


REQUEST_FIELDS = ("queue_id", "method_code", "version", "flags",
                  "content_length", "connection_id", "peer", "local",
                  "method", "raw_url", "path", "query", "host", "prefix",
                  "tls", "sni", "client_cert", "headers")


def request_fields(p):
    """parse_request()'s values as a tuple, in REQUEST_FIELDS's order."""
    # Every request goes through here: one unpack for the fixed part, one
    # for the header table, slices of one bytes object, and one bounds
    # check for the strings and one for the headers.
    p = bytes(p)
    end = len(p)
    if end < REQUEST_FIXED:
        raise ProtocolError("a REQUEST of %d bytes" % end)
    (queue, method_code, vmaj, vmin, n, flags, content_length,
     connection_id, peer, local, o0, n0, o1, n1, o2, n2, o3, n3, o4, n4,
     o5, n5, o6, n6, o7, n7, o8, n8) = _REQ_FIXED_ALL.unpack_from(p)
    area = REQUEST_FIXED + 16 * n
    if area + max(o0 + n0, o1 + n1, o2 + n2, o3 + n3, o4 + n4, o5 + n5,
                  o6 + n6, o7 + n7, o8 + n8) > end:
        raise ProtocolError("a REQUEST's strings past its end")
    o0 += area
    o1 += area
    o2 += area
    o3 += area
    o4 += area
    o5 += area
    o6 += area
    o7 += area
    o8 += area
    headers = []
    if n:
        t = _tables.get(n)
        if t is None:
            t = _tables[n] = struct.Struct("<%dI" % (4 * n))
        t = iter(t.unpack_from(p, REQUEST_FIXED))
        last = 0
        for no, nl, vo, vl in zip(t, t, t, t):
            no += area
            vo += area
            headers.append((p[no:no + nl], p[vo:vo + vl]))
            last = max(last, no + nl, vo + vl)
        if last > end:
            raise ProtocolError("a header past the end of its frame")
    return (queue, method_code, (vmaj, vmin), flags,
            None if content_length == UNKNOWN_LENGTH else content_length,
            connection_id, _addrs.get(peer) or _addr(peer),
            _addrs.get(local) or _addr(local), p[o0:o0 + n0],
            p[o1:o1 + n1], p[o2:o2 + n2], p[o3:o3 + n3], p[o4:o4 + n4],
            p[o5:o5 + n5], p[o6:o6 + n6], p[o7:o7 + n7], p[o8:o8 + n8],
            headers)


def _table(p, at, n, area):
    out = []
    limit = len(p)
    for i in range(n):
        no, nl, vo, vl = _ENTRY.unpack_from(p, at + 16 * i)
        if area + no + nl > limit or area + vo + vl > limit:
            raise ProtocolError("a header past the end of its frame")
        out.append((bytes(p[area + no:area + no + nl]),
                    bytes(p[area + vo:area + vo + vl])))
    return out


def _headers_area(first, headers):
    """The header table and the bytes area (which starts with `first`)."""
    table, area, off = [], [first], len(first)
    pack = _ENTRY.pack
    for k, v in headers:
        if k.__class__ is not bytes:
            k = _b(k)
        if v.__class__ is not bytes:
            v = _b(v)
        nk = len(k)
        nv = len(v)
        table.append(pack(off, nk, off + nk, nv))
        area.append(k)
        area.append(v)
        off += nk + nv
    return b"".join(table), b"".join(area)


def request(queue_id=1, method="GET", raw_url="/", path=None, query=b"",
            host=b"", prefix=b"", headers=(), version=(1, 1), flags=0,
            content_length=None, connection_id=0, peer=None, local=None,
            tls=b"", sni=b"", client_cert=b"", head=None):
    """A REQUEST payload (what hsysd sends); for tests and fakes.

    The bytes area starts with `head` (the raw request head) when given;
    the header table points at names and values appended after it."""
    method_b = _b(method)
    code = {v: k for k, v in METHODS.items()}.get(method_b.decode(), 0)
    if path is None:
        path = _b(raw_url).split(b"?")[0]
    head = _b(head) if head is not None else b""
    table, area = _headers_area(head, headers)
    strings = [method_b, raw_url, path, query, host, prefix, tls, sni,
               client_cert]
    spans = []
    for s in strings:
        s = _b(s)
        spans.append(_SPAN.pack(len(area), len(s)))
        area += s
    cl = UNKNOWN_LENGTH if content_length is None else content_length
    fixed = struct.pack("<IHBBHH4xQQ", queue_id, code, version[0],
                        version[1], len(headers), flags, cl, connection_id)
    fixed += _put_addr(peer) + _put_addr(local) + b"".join(spans)
    return fixed + table + area


def trailers(fields):
    """The payload of a REQ_DATA or RESP_DATA carrying trailers (flags
    TRAILERS|END)."""
    table, area = _headers_area(b"", fields)
    return struct.pack("<H6x", len(fields)) + table + area


def parse_trailers(p):
    """A trailers REQ_DATA's fields: [(name, value)] as bytes."""
    n = struct.unpack_from("<H", p)[0]
    return _table(p, 8, n, 8 + 16 * n)


def response(status, headers=(), reason=b"", end=False, cache=None):
    """A RESPONSE payload: status, header table, reason and headers in the
    bytes area. cache: a TTL in seconds (0: until flushed) sets the CACHE
    flag, the TTL opening the bytes area; None: not cacheable."""
    if reason.__class__ is not bytes:
        reason = _b(reason)
    flags = RESPONSE_F_END if end else 0
    first, roff = reason, 0
    if cache is not None:
        flags |= RESPONSE_F_CACHE
        first, roff = struct.pack("<II", cache, 0) + reason, 8
    table, area = _headers_area(first, headers)
    return b"".join((_RESP_FIXED.pack(status, len(headers), flags, roff,
                                      len(reason)), table, area))


def parse_response(p):
    status, n, flags = struct.unpack_from("<HHI", p)
    area = 16 + 16 * n
    out = {"status": status, "flags": flags, "reason": span(p, 8, area),
           "headers": _table(p, 16, n, area)}
    if flags & RESPONSE_F_CACHE:
        out["cache"] = _U32.unpack_from(p, area)[0]
    return out


def credit(n):
    """REQ_CREDIT's and RESP_CREDIT's payload."""
    return _U32.pack(n)


def parse_credit(p):
    return _U32.unpack_from(p)[0]
