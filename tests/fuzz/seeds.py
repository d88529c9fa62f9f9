#!/usr/bin/python3
"""Writes the seed corpora of fuzz_frame, fuzz_payload and fuzz_control
from real frames.

The frames come from the hsys Python package's codec (bindings/python/hsys,
through hsys.raw), the test suite's client of the wire protocol (the same
bytes libhsys sends: the e2e tests check that hsysd accepts them). Run from
anywhere; rewrites tests/fuzz/corpus/frame/seed-*, corpus/payload/seed-* and
corpus/control/seed-* (hand-kept regress-* files stay).

fuzz_control's inputs are programs: this file encodes its operations the way
tests/fuzz/fuzz_control.c reads them (keep the two in step).
"""
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "bindings", "python"))
import hsys.raw as hp  # noqa: E402

HELLO_FRAME = hp.frame(hp.HELLO, 0, hp.with_strings(
    struct.pack("<IHHII", hp.MAGIC, 1, 1, hp.HELLO_F_GOAWAY, 0), "seed"))


def op_frames():
    """Control frames an application sends, as the package builds them."""
    return {
        "hello": HELLO_FRAME,
        "queue-create": hp.frame(hp.QUEUE_CREATE, 1, hp.with_strings(
            struct.pack("<II", 0, 0), "")),
        "queue-create-named": hp.frame(hp.QUEUE_CREATE, 2, hp.with_strings(
            struct.pack("<II", 3, 100), "shared")),
        "queue-attach": hp.frame(hp.QUEUE_ATTACH, 3,
                                 hp.with_strings(b"", "shared")),
        "prefix-add": hp.frame(hp.PREFIX_ADD, 4, hp.with_strings(
            struct.pack("<I4x", 1), "http://+:28080/a/")),
        "queue-set": hp.frame(hp.QUEUE_SET, 5,
                              struct.pack("<IIII", 1, hp.QUEUE_LENGTH, 10, 0)),
        "queue-close": hp.frame(hp.QUEUE_CLOSE, 6, struct.pack("<I", 1)),
        "channel": hp.frame(hp.CHANNEL, 0, struct.pack(
            "<Q16sH6x", 1, b"k" * 16, 0)),
        "state": hp.frame(0x0F02, 7, struct.pack("<I", 1)),
        "handover": hp.frame(hp.HANDOVER, 0, struct.pack("<I4x", hp.MAGIC)),
    }


def data_frames():
    """Data channel frames: a response, its body, credit, cancel."""
    resp = hp.response(200, [("Content-Type", "text/plain"),
                             ("Content-Length", "5")], reason=b"OK")
    return {
        "response": hp.frame(hp.RESPONSE, 1, resp),
        "response-end": hp.frame(hp.RESPONSE, 1, hp.response(204, end=True)),
        "resp-data": hp.frame(hp.RESP_DATA, 1, b"hello", hp.F_END),
        "req-credit": hp.frame(hp.REQ_CREDIT, 1, struct.pack("<I", 65536)),
        "cancel": hp.frame(hp.CANCEL, 1),
        "error": hp.frame(hp.ERROR, 1, struct.pack("<IIII", 22, 0, 0, 3) +
                          b"bad"),
    }


# --- fuzz_control's operations (see op() in fuzz_control.c) -------------

def connect(uid_index=0):
    return bytes([0, uid_index])


def raw(client, data):
    """Bytes sent as they are, in pieces of at most 255."""
    out = b""
    for i in range(0, len(data), 255):
        piece = data[i:i + 255]
        out += bytes([4, client, len(piece)]) + piece
    return out


def hello(client):
    return bytes([1, client, 0x01])


def queue_create(client, op_id, named=False):
    # sub 0: flags, max (< 0xf0: default), name (names[k % 4])
    return bytes([2, client, op_id, 0, 3 if named else 0, 0,
                  2 if named else 0])


def queue_attach(client, op_id):
    return bytes([2, client, op_id, 1, 2])


def prefix(client, op_id, queue, which, remove=False):
    return bytes([2, client, op_id, 3, queue, which, 1 if remove else 0])


def queue_set(client, op_id, queue, prop, value):
    return bytes([2, client, op_id, 5, queue, prop]) + \
        struct.pack("<I", value)


def channel(client, index, wrong_key=False):
    return bytes([5, client, (0x40 if wrong_key else 0) | index])


def data(client, type_index, payload, fid=1, end=False):
    """fid None: the id of the last REQUEST that client received."""
    assert len(payload) < 256
    sel = bytes([0x40]) if fid is None else bytes([0, fid])
    return bytes([6, client, type_index]) + sel + bytes([len(payload)]) + \
        payload + bytes([1 if end else 0])


def response(client, status_index, header_mask, end=False):
    """A RESPONSE the harness builds (statuses[status_index], the headers
    header_mask picks), for the last REQUEST that client received."""
    return bytes([6, client, 6, 0x40, status_index, header_mask,
                  1 if end else 0, 0])


def http(slot, request_index, port_index=0):
    """An HTTP client of the port a prefix asked for (28080: index 0)."""
    return bytes([13, slot | (request_index << 2) & 0x7c, port_index])


def http_more(slot, payload):
    return bytes([13, slot, 0, len(payload)]) + payload


def close(client, half=False):
    return bytes([7, client, 1 if half else 0])


def handover(uid_index=0):
    return bytes([8, uid_index, 0])


def handover_answer(client, done=False):
    return bytes([11, client, 1 if done else 0])


def state(uid_index=0, flags=0):
    return bytes([9, uid_index]) + struct.pack("<I", flags) + bytes([1, 4])


def config_changed(uid_index=0):
    return bytes([10, uid_index, 0, 0, 0, 0, 0, 0])


def run(times=4):
    return bytes([12, times - 1])


def programs():
    f = op_frames()
    resp = hp.response(200, [("Content-Length", "5")])
    session = connect() + hello(0) + run()
    serving = session + queue_create(0, 1) + run() + \
        prefix(0, 2, 1, 0) + prefix(0, 3, 1, 1) + run() + \
        channel(0, 0) + channel(0, 1) + run()
    return {
        # A whole application's life, from the package's own frames.
        "app-raw": connect() + raw(0, f["hello"]) + run() +
        raw(0, f["queue-create"] + f["prefix-add"] + f["queue-set"]) +
        run() + raw(0, f["queue-close"]) + run(),
        "app-serving": serving + data(1, 0, resp) +
        data(2, 1, b"hello", end=True) + data(1, 2, struct.pack("<I", 9)) +
        run() + close(0) + run(),
        # A client's request reaches the application, which answers.
        "app-http": serving + http(0, 0) + run() + run() +
        data(1, 0, resp, fid=None) + data(2, 0, resp, fid=None) + run() +
        data(1, 1, b"hello", fid=None, end=True) +
        data(2, 1, b"hello", fid=None, end=True) + run() + run(),
        "app-http-body": serving + http(1, 1) + run() + run() +
        data(1, 2, struct.pack("<I", 65536), fid=None) +
        data(2, 2, struct.pack("<I", 65536), fid=None) + run() +
        data(1, 0, hp.response(200, end=True), fid=None) +
        data(2, 0, hp.response(200, end=True), fid=None) + run() + run(),
        "app-http-cancel": serving + http(2, 4) + run() + run() +
        data(1, 3, b"", fid=None) + data(2, 3, b"", fid=None) + run(),
        # 101 to an upgrade request: a tunnel both ways, then closed.
        "app-upgrade": serving + http(0, 3) + run() + run() +
        response(1, 1, 0x01) + response(2, 1, 0x01) + run() +
        http_more(0, b"ping") + run() +
        data(1, 2, struct.pack("<I", 4096), fid=None) +
        data(2, 2, struct.pack("<I", 4096), fid=None) + run() +
        data(1, 1, b"pong", fid=None) + data(2, 1, b"pong", fid=None) +
        run() + data(1, 1, b"", fid=None, end=True) +
        data(2, 1, b"", fid=None, end=True) + run() + run(),
        # An interim 103, then the final head with a body.
        "app-interim": serving + http(0, 0) + run() + run() +
        response(1, 2, 0x08) + response(2, 2, 0x08) + run() +
        response(1, 3, 0x02) + response(2, 3, 0x02) + run() +
        data(1, 1, b"hello", fid=None, end=True) +
        data(2, 1, b"hello", fid=None, end=True) + run() + run(),
        "app-channel-lost": serving + close(1) + run() + close(0) + run(),
        "app-wrong-key": session + channel(0, 0, wrong_key=True) + run(),
        "shared-queue": session + connect(1) + hello(1) + run() +
        queue_create(0, 1, named=True) + run() + queue_attach(1, 1) +
        run() + close(0) + run() + queue_set(1, 2, 1, 1, 50) + run(),
        "non-root": connect(1) + hello(0) + run() + queue_create(0, 1) +
        run() + prefix(0, 2, 1, 1) + run(),
        "oversized": session + raw(0, struct.pack("<IHHQ", 1 << 20,
                                                  0x10, 0, 1)) + run(),
        "state": connect() + raw(0, f["state"]) + run() + state(1, 0x101) +
        state(2, 0x300) + run(),
        "config-changed": config_changed() + config_changed(2) + run(),
        "handover-done": session + handover() + run() +
        handover_answer(1) + run() + handover_answer(1, done=True) + run(),
        "handover-refused": handover(1) + run(),
        # Issue 10 item 6: the new hsysd hangs up while a client's
        # connection waits on the control socket, in one batch of events.
        "handover-abort": session + handover() + run() + connect() +
        close(1) + run() + run(),
        "handover-junk": session + handover() + run() +
        raw(1, hp.frame(hp.HELLO)) + connect() + run() + run(),
    }


def daemon_payloads():
    """Payloads hsysd sends (libhsys decodes them), for fuzz_payload's
    typed inputs: the first byte is the type's index in its types[]."""
    head = b"GET /a/x?y=1 HTTP/1.1\r\nHost: h\r\n\r\n"
    spans = [(0, 3), (4, 8), (len(head), 4), (9, 3), (29, 1),
             (len(head) + 4, 0), (len(head) + 4, 0), (len(head) + 4, 0),
             (len(head) + 4, 0)]
    request = struct.pack("<IHBBHHIQQ20s20s", 1, 1, 1, 1, 1, 0x4, 0, 0, 7,
                          b"", b"")
    request += b"".join(struct.pack("<II", o, n) for o, n in spans)
    request += struct.pack("<IIII", 23, 4, 29, 1) + head + b"/a/x"
    trailers = struct.pack("<H6xIIII", 1, 0, 5, 5, 3) + b"X-Sumabc"
    welcome = struct.pack("<HHIIIQ16sQII", 1, 2, 1 << 20, 256 << 10, 1000,
                          1, b"k" * 16, 1, 3, 0)
    return {"request": b"\x0f" + request, "trailers": b"\x10" + trailers,
            "welcome": b"\x11" + welcome}


def write(folder, name, blob):
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "seed-" + name), "wb") as fp:
        fp.write(blob)


def main():
    corpus = os.path.join(HERE, "corpus")
    for name, blob in {**op_frames(), **data_frames()}.items():
        # The first byte picks the bound: 0, the control socket's.
        write(os.path.join(corpus, "frame"), name, b"\0" + blob)
    write(os.path.join(corpus, "frame"), "all",
          b"\1" + b"".join(op_frames().values()) +
          b"".join(data_frames().values()))
    # fuzz_payload: a first byte with its top bit set walks the frames.
    for name, blob in {**op_frames(), **data_frames()}.items():
        write(os.path.join(corpus, "payload"), name, b"\x80" + blob)
    for name, blob in daemon_payloads().items():
        write(os.path.join(corpus, "payload"), name, blob)
    for name, blob in programs().items():
        write(os.path.join(corpus, "control"), name, blob)


if __name__ == "__main__":
    main()
