"""hsys: serve HTTP from Python through hsysd, the shared HTTP stack.

The package speaks hsysd's wire protocol (docs/protocol.md) itself, with
the standard library only:

- hsys.client (re-exported here): an asyncio API: connect() a session,
  create or attach to queues, add prefixes, iterate requests, stream
  bodies both ways within hsysd's credit, interim responses, 101 tunnels.
- hsys.wsgi: `python3 -m hsys.wsgi MODULE:APP --url URL`, a WSGI server.
- hsys.asgi: `python3 -m hsys.asgi MODULE:APP --url URL`, an ASGI server.
- hsys.protocol: the frames, encoded and decoded, without I/O.

See docs/python.md.
"""
__version__ = "0.1.0"
__all__ = ["connect", "Session", "Queue", "Request", "Error", "Cancelled",
           "socket_path", "state"]


def __getattr__(name):
    # hsys.client (and asyncio) are imported on first use, so that tools
    # on hsys.protocol or hsys.raw start fast.
    if name in __all__:
        from . import client
        return getattr(client, name)
    raise AttributeError("module 'hsys' has no attribute %r" % name)
