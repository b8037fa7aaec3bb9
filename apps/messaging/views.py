"""The Web Push service worker, served from the site root so its scope covers the portal and the admin (a worker
under /static/ could only control /static/). Same origin, no inline script: the CSP stays as it is."""

from functools import cache

from django.contrib.staticfiles import finders
from django.http import Http404, HttpResponse
from django.views.decorators.http import require_GET

SERVICE_WORKER = "js/push_sw.js"


@cache
def _service_worker_source() -> bytes:
    path = finders.find(SERVICE_WORKER)
    if not path:
        raise Http404("No service worker.")
    with open(path, "rb") as handle:
        return handle.read()


@require_GET
def push_service_worker(request):
    response = HttpResponse(_service_worker_source(), content_type="text/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = "/"
    response["Cache-Control"] = "no-cache"  # browsers check for a new worker on each registration
    return response
