"""ASGI entry point: HTTP and the `/ws/events/` websocket (daphne in production serves `/ws/`)."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")

# Django must be set up before importing anything that touches models. The handler answers the requests Django
# refuses before routing in the API's envelope (apps/core/handlers.py).
from apps.core.handlers import daphne_form_parsing_off, get_asgi_application

django_asgi_app = get_asgi_application()
daphne_form_parsing_off()  # daphne's twisted would answer a malformed multipart body with an empty 400 itself

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from apps.accounts.realtime.middleware import JwtOrSessionAuthMiddleware  # noqa: E402
from apps.accounts.realtime.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": AllowedHostsOriginValidator(JwtOrSessionAuthMiddleware(URLRouter(websocket_urlpatterns))),
    }
)
