import hashlib
import json

from django.http import (HttpResponse, JsonResponse,
                         StreamingHttpResponse)
from django.shortcuts import redirect
from django.views.decorators.csrf import csrf_exempt


def index(request):
    return JsonResponse({"script_name": request.META["SCRIPT_NAME"],
                         "path": request.path,
                         "path_info": request.path_info,
                         "uri": request.build_absolute_uri(),
                         "secure": request.is_secure()})


@csrf_exempt
def form(request):
    return HttpResponse("hello %s, %s\n" % (request.POST["name"],
                                            request.POST["n"]))


@csrf_exempt
def json_echo(request):
    d = json.loads(request.body)
    return JsonResponse({"got": d, "sum": sum(d["numbers"])})


@csrf_exempt
def upload(request):
    h, n = hashlib.sha256(), 0
    while True:
        b = request.read(1 << 16)
        if not b:
            break
        h.update(b)
        n += len(b)
    return HttpResponse("%d %s\n" % (n, h.hexdigest()))


def download(request):
    n = int(request.GET.get("n", 1 << 20))

    def gen():
        block = bytes(range(256)) * 256
        left = n
        while left > 0:
            yield block[:left]
            left -= len(block)
    return StreamingHttpResponse(gen(),
                                 content_type="application/octet-stream")


def go(request):
    return redirect("landing")


def landing(request):
    return HttpResponse("landed at %s\n" % request.path)


def setcookie(request):
    r = HttpResponse("set\n")
    r.set_cookie("flavour", "oatmeal", path=request.META["SCRIPT_NAME"] + "/")
    return r


def getcookie(request):
    return HttpResponse("cookie %s\n" % request.COOKIES.get("flavour"))


def boom(request):
    raise RuntimeError("the application raised on purpose")
