"""Delinquency, as a brokerage runs it: an instalment unpaid after its due date is overdue and its policy in
arrears; the customer is reminded on their consented channel (ARREARS_REMINDER_DAYS after the due date, once
each); once the oldest unpaid instalment is more than the policy's `grace_period_days` past due, the policy lapses
for non-payment (the policy workflow's `lapse`, with the reason on its timeline) and the customer gets a notice;
paying the arrears reinstates it (the workflow's `reinstate`, on the timeline too).

The rules, stated once:
- Overdue: `due_date` before today and not paid, whatever the policy's status (a debt stays a debt); marked by
  one UPDATE per run, so running twice changes nothing.
- A payment settles the oldest open instalment first (by due date, then sequence); a partial payment leaves the
  instalment open (and overdue) until what has been credited covers it in full.
- Reminders go only for active policies; a lapsed policy's customer got the lapse notice instead.
- Lapse: an active policy whose oldest overdue instalment is more than `grace_period_days` past due. The
  instalments stay owed (arrears are not written off by the lapse); later ones keep their dates.
- Reinstatement: automatic when a payment leaves no overdue instalment on a policy that lapsed for non-payment,
  while its term has not ended. After the term, or for a lapse by hand, reinstating is a manager's decision.
"""

import logging
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import DecimalField, Exists, Min, OuterRef, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.template.loader import render_to_string
from django.utils import timezone

from apps.core.events import publish
from apps.customers.contact import Message, customer_contact_channel, customer_in_quiet_hours, customer_message_send
from apps.policies.models import Policy, PolicyStatus
from apps.policies.services import policy_transition

from .models import OPEN_INSTALMENT_STATUSES, Instalment, InstalmentReminder, NonPaymentLapse

logger = logging.getLogger("insureops.billing")
OVERDUE = Instalment.Status.OVERDUE


def annotate_amount_overdue(qs: QuerySet[Policy]) -> QuerySet[Policy]:
    """The `policies.arrears` hook: `amount_overdue` per policy, from the partial index of overdue instalments."""
    overdue = (
        Instalment.objects.filter(policy=OuterRef("pk"), status=OVERDUE)
        .order_by()
        .values("policy")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    money = DecimalField(max_digits=12, decimal_places=2)
    return qs.annotate(
        amount_overdue=Coalesce(Subquery(overdue, output_field=money), Value(Decimal("0.00")), output_field=money)
    )


def policy_arrears(policy: Policy, *, today: date | None = None) -> dict:
    """What a screen says about a policy's arrears: amount, oldest unpaid due date, days overdue and the day the
    policy lapses if still unpaid (None when it is not in arrears). By date, so a page is right even before the
    day's overdue run."""
    today = today or timezone.localdate()
    facts = policy.instalments.filter(status__in=OPEN_INSTALMENT_STATUSES, due_date__lt=today).aggregate(
        amount=Sum("amount"), oldest=Min("due_date")
    )
    if facts["amount"] is None:
        return {"in_arrears": False, "amount": Decimal("0.00"), "oldest_due_date": None, "days": 0, "lapses_on": None}
    oldest = facts["oldest"]
    return {
        "in_arrears": True,
        "amount": facts["amount"],
        "oldest_due_date": oldest,
        "days": (today - oldest).days,
        "lapses_on": oldest + timedelta(days=policy.grace_period_days + 1)
        if policy.status == PolicyStatus.ACTIVE
        else None,
    }


# --- the daily steps (celery beat `billing.arrears`; each idempotent) ----------------------------------------


def instalments_mark_overdue(*, today: date | None = None) -> int:
    """Every due instalment whose due date has passed becomes overdue: one set-based UPDATE (the (status,
    due_date) index finds them). Returns how many changed; a second run the same day changes none."""
    today = today or timezone.localdate()
    return Instalment.objects.filter(status=Instalment.Status.DUE, due_date__lt=today).update(
        status=OVERDUE, updated_at=timezone.now()
    )


def arrears_reminders_send(*, today: date | None = None) -> int:
    """Remind customers of overdue instalments of active policies ARREARS_REMINDER_DAYS after the due date, once per
    instalment and offset, on their consented channel outside quiet hours (skipped ones are tried next run). Only
    the latest offset reached is sent: a run that finds an instalment 8 days overdue sends the +7 reminder, never
    +1 and +7 together. Returns how many were sent."""
    today = today or timezone.localdate()
    sent = 0
    for days in sorted(set(settings.ARREARS_REMINDER_DAYS), reverse=True):
        reminded = InstalmentReminder.objects.filter(
            instalment=OuterRef("pk"), kind=InstalmentReminder.Kind.OVERDUE, days_before__gte=days
        )
        overdue = (
            Instalment.objects.filter(
                status=OVERDUE, due_date__lte=today - timedelta(days=days), policy__status=PolicyStatus.ACTIVE
            )
            .exclude(Exists(reminded))
            .select_related("policy", "policy__customer", "policy__product")
            .order_by("due_date", "pk")
        )
        for instalment in overdue.iterator(chunk_size=500):
            customer = instalment.policy.customer
            channel = customer_contact_channel(customer)
            if channel is None or customer_in_quiet_hours(customer):
                continue
            policy = instalment.policy
            try:
                with transaction.atomic():
                    InstalmentReminder.objects.create(
                        instalment=instalment, kind=InstalmentReminder.Kind.OVERDUE, days_before=days, channel=channel
                    )
                    overdue_days = (today - instalment.due_date).days
                    context = {
                        "customer": customer,
                        "instalment": instalment,
                        "policy": policy,
                        "days": overdue_days,
                        "lapses_on": instalment.due_date + timedelta(days=policy.grace_period_days + 1),
                    }
                    customer_message_send(
                        customer=customer,
                        message=Message(
                            subject=f"Overdue: {instalment.amount} {instalment.currency} on policy "
                            f"{policy.policy_number}",
                            body=render_to_string("emails/arrears_reminder.txt", context),
                        ),
                    )
                    publish(
                        "instalment:overdue",
                        {
                            "instalment_id": instalment.pk,
                            "policy_number": policy.policy_number,
                            "amount": str(instalment.amount),
                            "currency": instalment.currency,
                            "due_date": instalment.due_date.isoformat(),
                            "days": overdue_days,
                        },
                        audience=[],  # the customer hears of it once, as the notification
                    )
            except IntegrityError:  # another run got there first
                continue
            sent += 1
    return sent


def policies_lapse_for_non_payment(*, today: date | None = None) -> int:
    """Active policies whose oldest overdue instalment is more than their grace period past due lapse for
    non-payment, each in its own transaction (one that cannot lapse does not stop the rest). Returns how many."""
    today = today or timezone.localdate()
    oldest = (
        Instalment.objects.filter(status=OVERDUE, policy__status=PolicyStatus.ACTIVE)
        .values("policy_id", "policy__grace_period_days")
        .annotate(oldest=Min("due_date"))
        .order_by("policy_id")
    )
    lapsed = 0
    for row in oldest:
        if row["oldest"] + timedelta(days=row["policy__grace_period_days"]) >= today:
            continue
        try:
            if policy_lapse_for_non_payment(policy_id=row["policy_id"], today=today):
                lapsed += 1
        except Exception:
            logger.exception("Could not lapse policy %s for non-payment", row["policy_id"])
    return lapsed


@transaction.atomic
def policy_lapse_for_non_payment(*, policy_id: int, today: date | None = None) -> NonPaymentLapse | None:
    """Lapse one policy for non-payment if, under its row lock, it is still active and past its grace period:
    through the policy workflow (the timeline records the reason), a lapse record, and the notice to the customer
    on their channel (and in-app). None when there is nothing to do."""
    today = today or timezone.localdate()
    policy = Policy.objects.select_for_update(of=("self",)).select_related("customer", "product").get(pk=policy_id)
    facts = policy.instalments.filter(status=OVERDUE).aggregate(amount=Sum("amount"), oldest=Min("due_date"))
    if (
        policy.status != PolicyStatus.ACTIVE
        or facts["oldest"] is None
        or facts["oldest"] + timedelta(days=policy.grace_period_days) >= today
    ):
        return None
    amount, oldest = facts["amount"], facts["oldest"]
    reason = (
        f"Non-payment: {amount} {policy.currency} overdue since {oldest:%d %b %Y}, "
        f"grace period of {policy.grace_period_days} days ended"
    )
    policy = policy_transition(policy=policy, actor=None, action="lapse", note=reason)
    customer = policy.customer
    channel = customer_message_send(customer=customer, message=_lapse_notice(policy, amount=amount, oldest=oldest))
    record = NonPaymentLapse.objects.create(
        policy=policy,
        oldest_due_date=oldest,
        amount_overdue=amount,
        currency=policy.currency,
        notice_channel=channel or "",
    )
    publish(
        "arrears:lapsed",
        {
            "policy_id": policy.pk,
            "policy_number": policy.policy_number,
            "amount": str(amount),
            "currency": policy.currency,
        },
        audience=[],  # the customer hears of it as a notification; staff through policy:status_changed
    )
    return record


def _lapse_notice(policy: Policy, *, amount: Decimal, oldest: date) -> Message:
    context = {"customer": policy.customer, "policy": policy, "amount": amount, "oldest": oldest}
    return Message(
        subject=f"Your policy {policy.policy_number} has lapsed for non-payment",
        body=render_to_string("emails/lapse_notice.txt", context),
    )


def lapse_notices_resend(*, days: int = 7) -> int:
    """Lapse notices that could not go out (quiet hours, no channel yet) are tried again for `days` days after the
    lapse, on each run; each open lapse's notice goes once. Returns how many went out now."""
    sent = 0
    pending = NonPaymentLapse.objects.filter(
        notice_channel="", reinstated_at__isnull=True, lapsed_at__gte=timezone.now() - timedelta(days=days)
    ).values_list("pk", flat=True)
    for pk in pending:
        with transaction.atomic():
            lapse = NonPaymentLapse.objects.select_for_update().select_related("policy__customer").get(pk=pk)
            if lapse.notice_channel:
                continue
            channel = customer_message_send(
                customer=lapse.policy.customer,
                message=_lapse_notice(lapse.policy, amount=lapse.amount_overdue, oldest=lapse.oldest_due_date),
            )
            if channel:
                NonPaymentLapse.objects.filter(pk=pk).update(notice_channel=channel)
                sent += 1
    return sent


def arrears_run(*, today: date | None = None) -> dict:
    """The beat job: mark overdue, remind, lapse — in that order, so one run sees today's arrears — and retry the
    lapse notices that could not go out before."""
    return {
        "overdue": instalments_mark_overdue(today=today),
        "reminded": arrears_reminders_send(today=today),
        "notices_resent": lapse_notices_resend(),
        "lapsed": policies_lapse_for_non_payment(today=today),
    }


def policy_reinstate_if_arrears_paid(*, policy: Policy, today: date | None = None) -> bool:
    """Called by payment_record in its transaction, the policy row locked: a policy that lapsed for non-payment
    and has no overdue instalment left is reinstated through the policy workflow, the lapse record closed and the
    customer told. Not after the term has ended (a manager decides then). True when it reinstated."""
    today = today or timezone.localdate()
    if policy.status != PolicyStatus.LAPSED or today > policy.end_date:
        return False
    lapse = NonPaymentLapse.objects.select_for_update().filter(policy=policy, reinstated_at__isnull=True).first()
    if lapse is None or policy.instalments.filter(status=OVERDUE).exists():
        return False
    policy_transition(
        policy=policy,
        actor=None,
        action="reinstate",
        note=f"Arrears paid ({lapse.amount_overdue} {lapse.currency} overdue when it lapsed on "
        f"{lapse.lapsed_at:%d %b %Y})",
    )
    lapse.reinstated_at = timezone.now()
    lapse.save(update_fields=["reinstated_at"])
    customer_message_send(
        customer=policy.customer,
        message=Message(
            subject=f"Your policy {policy.policy_number} is back in force",
            body=render_to_string("emails/reinstated_notice.txt", {"customer": policy.customer, "policy": policy}),
        ),
    )
    publish(
        "arrears:reinstated",
        {"policy_id": policy.pk, "policy_number": policy.policy_number},
        audience=[],  # the customer hears of it as a notification
    )
    return True
