"""corkwsgi.py: a WSGI app for tests/e2e/python_cork.sh whose answer to
GET /w/K is three pieces from a generator, "a-", "K" and "-z\\n": pieces
queued from the application's thread without waiting (hsys.wsgi) must
arrive whole and in order, each response with its own."""


def app(environ, start_response):
    k = environ["PATH_INFO"].rsplit("/", 1)[-1].encode()
    start_response("200 OK", [("Content-Type", "text/plain")])

    def pieces():
        yield b"a-"
        yield k
        yield b"-z\n"
    return pieces()
