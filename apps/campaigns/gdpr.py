"""The campaigns app's part of a customer's GDPR export and erasure (hooks `gdpr.export`, `gdpr.erase`): campaign
messages here, surveys in `survey_gdpr.py`.

Erasure blanks the address each campaign message went to and the user agent and IP of its tracking events,
keeping that a message was sent, when, on which channel and what became of it (the campaign's figures stay
right). Suppressions stay: they keep a dead or objecting address from being used again."""

from apps.core.erasure import scrub
from apps.customers.models import Customer

from . import survey_gdpr
from .models import CampaignSend, TrackingEvent


def export_customer_data(customer: Customer, archive, *, for_customer: bool) -> dict:
    sends = CampaignSend.objects.filter(customer=customer).order_by("created_at", "id")
    return {
        **survey_gdpr.export_customer_data(customer, archive, for_customer=for_customer),
        "campaign_messages": list(
            sends.values(
                "campaign__name", "channel", "address", "status", "sent_at", "delivered_at", "opened_at", "clicked_at"
            )
        ),
    }


def erase_customer_data(customer: Customer) -> None:
    sends = CampaignSend.objects.filter(customer=customer)
    ids = list(sends.values_list("pk", flat=True))
    scrub(sends, address="")
    scrub(TrackingEvent.objects.filter(send_id__in=ids), user_agent="", ip=None)
    survey_gdpr.erase_customer_data(customer)
