"""The sandbox payment provider's hosted checkout page, served by this site (only while the sandbox provider has
a webhook secret). Paying sends the provider's signed `payment.succeeded` event through the same webhook handler
a real provider's HTTP call reaches (`payment_webhook_receive`), with an event id per session, so a second click
on "Pay" is the same event and is credited once."""

import json
import time

from django.conf import settings
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.http import require_http_methods

from .models import CheckoutSession
from .services import payment_webhook_receive, webhook_signature


def sandbox_event(session: CheckoutSession) -> tuple[bytes, str]:
    """The body and `X-Signature` header the sandbox provider sends when `session` is paid."""
    body = json.dumps(
        {
            "id": f"evt_{session.reference}",
            "type": "payment.succeeded",
            "data": {
                "checkout": session.reference,
                "reference": session.reference,
                "policy_number": session.policy.policy_number,
                "amount": str(session.amount),
                "currency": session.currency,
                "method": "card",
            },
        }
    ).encode()
    secret = settings.PAYMENT_WEBHOOK_SECRETS["sandbox"]
    timestamp = int(time.time())
    return body, f"t={timestamp},v1={webhook_signature(secret=secret, timestamp=timestamp, body=body)}"


@require_http_methods(["GET", "POST"])
def checkout_page(request, reference):
    if "sandbox" not in settings.PAYMENT_WEBHOOK_SECRETS:
        raise Http404
    session = (
        CheckoutSession.objects.select_related("policy", "instalment")
        .filter(reference=reference, provider="sandbox")
        .first()
    )
    if session is None:
        raise Http404
    back = session.return_url or "/"
    if request.method == "POST":
        if request.POST.get("decision") == "cancel":
            return redirect(back)
        if session.status == CheckoutSession.Status.OPEN:
            body, signature = sandbox_event(session)
            payment_webhook_receive(provider="sandbox", body=body, signature_header=signature)
        return redirect(f"{back}{'&' if '?' in back else '?'}paid={session.reference}")
    return render(request, "billing/sandbox_checkout.html", {"session": session, "back": back})


urlpatterns = [path("sandbox/checkout/<slug:reference>", checkout_page, name="billing-sandbox-checkout")]
