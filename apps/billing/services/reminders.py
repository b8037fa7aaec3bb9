"""Reminders of instalments falling due (celery beat; idempotent). Overdue reminders are in `billing.arrears`."""

from datetime import date, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.template.loader import render_to_string
from django.utils import timezone

from apps.core.events import publish
from apps.customers.contact import Message, customer_contact_channel, customer_in_quiet_hours, customer_message_send
from apps.policies.models import PolicyStatus

from ..models import Instalment, InstalmentReminder


def instalment_reminders_send(*, today: date | None = None) -> int:
    """Remind customers of instalments falling due in PAYMENT_REMINDER_DAYS days, once per instalment and offset,
    on their consented channel outside quiet hours (skipped ones are tried on the next run). Returns how many."""
    today = today or timezone.localdate()
    sent = 0
    for days in settings.PAYMENT_REMINDER_DAYS:
        due = (
            Instalment.objects.filter(
                status=Instalment.Status.DUE,
                due_date=today + timedelta(days=days),
                policy__status=PolicyStatus.ACTIVE,
            )
            .exclude(
                Exists(
                    InstalmentReminder.objects.filter(
                        instalment=OuterRef("pk"), kind=InstalmentReminder.Kind.DUE, days_before=days
                    )
                )
            )
            .select_related("policy", "policy__customer", "policy__product")
        )
        for instalment in due.iterator(chunk_size=500):
            customer = instalment.policy.customer
            channel = customer_contact_channel(customer)
            if channel is None or customer_in_quiet_hours(customer):
                continue
            try:
                with transaction.atomic():
                    InstalmentReminder.objects.create(instalment=instalment, days_before=days, channel=channel)
                    context = {
                        "customer": customer,
                        "instalment": instalment,
                        "policy": instalment.policy,
                        "days": days,
                    }
                    customer_message_send(
                        customer=customer,
                        message=Message(
                            subject=f"Payment of {instalment.amount} {instalment.currency} due on "
                            f"{instalment.due_date:%d %b %Y}",
                            body=render_to_string("emails/payment_reminder.txt", context),
                        ),
                    )
                    if customer.user_id:
                        publish(
                            "instalment:due",
                            {
                                "instalment_id": instalment.pk,
                                "policy_number": instalment.policy.policy_number,
                                "amount": str(instalment.amount),
                                "currency": instalment.currency,
                                "due_date": instalment.due_date.isoformat(),
                                "days": days,
                            },
                            audience=[],  # the customer hears of it once, as the notification
                        )
            except IntegrityError:  # another run got there first
                continue
            sent += 1
    return sent
