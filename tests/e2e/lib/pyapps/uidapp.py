"""A WSGI application that says which user serves it, for
tests/e2e/python_consent.sh: "uid N pid P" and the queue it came from."""
import os


def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"uid %d pid %d\n" % (os.getuid(), os.getpid())]
