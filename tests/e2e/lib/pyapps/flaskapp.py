"""A Flask application for tests/e2e/python_wsgi.sh: forms, JSON, a
streamed upload and download, redirects, cookies, and a route that
raises."""
import hashlib
import os

from flask import (Flask, Response, jsonify, make_response, redirect,
                   request, stream_with_context, url_for)

app = Flask(__name__)


@app.route("/")
def index():
    env = request.environ
    return jsonify(script_name=env["SCRIPT_NAME"], path_info=env["PATH_INFO"],
                   query=env["QUERY_STRING"], scheme=env["wsgi.url_scheme"],
                   host=env.get("HTTP_HOST"), server=[env["SERVER_NAME"],
                                                      env["SERVER_PORT"]],
                   remote=env["REMOTE_ADDR"], https=env.get("HTTPS"),
                   sni=env.get("hsys.sni"), tls=env.get("hsys.tls"),
                   url=request.url, pid=os.getpid(),
                   agent=request.headers.get("User-Agent"))


@app.route("/form", methods=["POST"])
def form():
    return "hello %s, %s\n" % (request.form["name"], request.form["n"])


@app.route("/json", methods=["POST"])
def json_echo():
    d = request.get_json()
    return jsonify(got=d, sum=sum(d["numbers"]))


@app.route("/upload", methods=["POST", "PUT"])
def upload():
    h, n = hashlib.sha256(), 0
    while True:
        b = request.stream.read(1 << 16)
        if not b:
            break
        h.update(b)
        n += len(b)
    return "%d %s\n" % (n, h.hexdigest())


@app.route("/download")
def download():
    n = int(request.args.get("n", 1 << 20))

    def gen():
        block = bytes(range(256)) * 256       # 64 KiB
        left = n
        while left > 0:
            yield block[:left]
            left -= len(block)
    return Response(stream_with_context(gen()),
                    mimetype="application/octet-stream")


@app.route("/go")
def go():
    return redirect(url_for("landing"))


@app.route("/landing")
def landing():
    return "landed at %s\n" % (request.script_root + request.path)


@app.route("/setcookie")
def setcookie():
    r = make_response("set\n")
    r.set_cookie("flavour", "oatmeal", path=request.script_root + "/")
    return r


@app.route("/getcookie")
def getcookie():
    return "cookie %s\n" % request.cookies.get("flavour")


@app.route("/raise")
def boom():
    raise RuntimeError("the application raised on purpose")


@app.route("/pid")
def pid():
    return "%d\n" % os.getpid()
