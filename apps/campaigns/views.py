"""Campaign tracking pages, outside the API (recipients have no account): the open pixel, click redirects and the
unsubscribe page, each authorised by its signed token alone.

The unsubscribe URL answers a mail client's RFC 8058 one-click POST (`List-Unsubscribe=One-Click`, no cookies, no
CSRF token — the signed URL is the authority) as well as a person: GET shows a confirmation page, whose button
POSTs to the same URL. Nothing is withdrawn on GET, since link scanners fetch every URL in a message.
"""

import base64

from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from apps.core.exceptions import Invalid, NotFound
from apps.core.net import client_ip

from .services import tracking

PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")


def _ip(request) -> str | None:
    return tracking.ip_clean(client_ip(request))


@never_cache
@require_GET
def open_pixel(request, token: str):
    try:
        tracking.open_record(token=token, user_agent=request.META.get("HTTP_USER_AGENT", ""), ip=_ip(request))
    except NotFound:
        return HttpResponse(status=404)
    return HttpResponse(PIXEL, content_type="image/gif")


@never_cache
@require_GET
def click(request, token: str):
    try:
        url = tracking.click_record(token=token, user_agent=request.META.get("HTTP_USER_AGENT", ""), ip=_ip(request))
    except (Invalid, NotFound) as exc:
        status = 400 if isinstance(exc, Invalid) else 404
        return render(request, "campaigns/link_invalid.html", {"message": exc.message}, status=status)
    response = HttpResponseRedirect(url)
    response["Referrer-Policy"] = "no-referrer"
    return response


@csrf_exempt
@never_cache
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token: str):
    try:
        send = tracking.unsubscribe_send(token)
    except NotFound as exc:
        return render(request, "campaigns/link_invalid.html", {"message": exc.message}, status=404)
    if request.method == "POST":
        one_click = request.POST.get("List-Unsubscribe") == "One-Click"
        tracking.unsubscribe_record(token=token, how="one-click" if one_click else "page")
        if one_click:
            return HttpResponse("Unsubscribed.", content_type="text/plain")
        return render(request, "campaigns/unsubscribe.html", {"send": send, "done": True, "token": token})
    return render(request, "campaigns/unsubscribe.html", {"send": send, "done": False, "token": token})


@never_cache
@require_http_methods(["GET", "POST"])
def preferences(request, token: str):
    """The preference page from a campaign message's signed link (the unsubscribe token: no sign-in). A form
    with a CSRF token, since a person submits it."""
    from .services.preferences import consent_matrix, consent_matrix_save, wanted_from_post

    try:
        send = tracking.unsubscribe_send(token)
    except NotFound as exc:
        return render(request, "campaigns/link_invalid.html", {"message": exc.message}, status=404)
    rows = consent_matrix(send.customer)
    saved = None
    if request.method == "POST":
        saved = consent_matrix_save(
            customer=send.customer, wanted=wanted_from_post(request.POST, rows), how=f"campaign {send.campaign_id}"
        )
        rows = consent_matrix(send.customer)
    return render(request, "campaigns/preferences.html", {"rows": rows, "saved": saved})
