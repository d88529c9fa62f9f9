"""A small Django project for tests/e2e/python_wsgi.sh (no database)."""
SECRET_KEY = "hsys-test-only-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["*"]
ROOT_URLCONF = "djsite.urls"
INSTALLED_APPS = []
MIDDLEWARE = []
DATABASES = {}
USE_TZ = True
LOGGING_CONFIG = None
