"""A tiny Flask app for tests/e2e/forward_apps.sh, behind hsys-forward
--strip-prefix: werkzeug's ProxyFix takes X-Forwarded-Prefix as its
SCRIPT_NAME, so the redirects it builds keep the prefix."""
from flask import Flask, redirect, request, url_for
from werkzeug.middleware.proxy_fix import ProxyFix

app = Flask(__name__)
app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1,
                        x_prefix=1)


@app.route("/hello")
def hello():
    return "hello from flask, %s over %s\n" % (request.remote_addr,
                                               request.scheme)


@app.route("/go")
def go():
    return redirect(url_for("hello", _external=True))


@app.route("/form", methods=["POST"])
def form():
    return "name=%s\n" % request.form.get("name", "")


@app.route("/json", methods=["POST"])
def json_echo():
    return {"got": request.get_json()}
