from django.urls import path

from . import views

urlpatterns = [
    path("", views.index, name="index"),
    path("form", views.form),
    path("json", views.json_echo),
    path("upload", views.upload),
    path("download", views.download),
    path("go", views.go),
    path("landing", views.landing, name="landing"),
    path("setcookie", views.setcookie),
    path("getcookie", views.getcookie),
    path("raise", views.boom),
]
