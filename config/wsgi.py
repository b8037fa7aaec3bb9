"""WSGI entry point: gunicorn serves the HTTP API, admin and portal in production."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")

from apps.core.handlers import get_wsgi_application

application = get_wsgi_application()
