"""Payment providers behind the portal's "Pay now": each turns a checkout session into the address of its hosted
payment page; the payment then comes back through the provider's signed webhook
(`/api/v1/billing/webhooks/<provider>`, `services.payment_webhook_receive`). The sandbox provider's page is served
by this site (apps.billing.sandbox) and is the default (PAYMENT_CHECKOUT_PROVIDER)."""

from typing import Protocol

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse


class CheckoutProvider(Protocol):
    name: str

    def checkout_url(self, *, reference: str) -> str: ...


class SandboxCheckout:
    """The local test provider: its hosted page is /sandbox/checkout/<reference> on this site."""

    name = "sandbox"

    def checkout_url(self, *, reference: str) -> str:
        return reverse("billing-sandbox-checkout", args=[reference])


_PROVIDERS: dict[str, CheckoutProvider] = {"sandbox": SandboxCheckout()}


def checkout_provider() -> CheckoutProvider:
    """The configured provider; it must also have a webhook secret, or its payments could never be confirmed."""
    name = settings.PAYMENT_CHECKOUT_PROVIDER
    if name not in _PROVIDERS or name not in settings.PAYMENT_WEBHOOK_SECRETS:
        raise ImproperlyConfigured(f"Payment provider {name!r} is not available (no adapter or no webhook secret).")
    return _PROVIDERS[name]
