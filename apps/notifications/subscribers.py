"""Which domain events become notifications, for whom, and what they say. Each handler runs in a worker (the
`notifications.dispatch` task) and is idempotent: the event id is part of every notification's dedupe key."""

from django.contrib.auth import get_user_model

from apps.accounts.roles import Role
from apps.core.events import publish, user_group

from .models import Notification, NotificationType
from .services import notify, wants

T = NotificationType
User = get_user_model()


def _users(*ids):
    wanted = [i for i in ids if i]
    return list(User.objects.filter(pk__in=wanted, is_active=True)) if wanted else []


def _key(event: dict, user) -> str:
    return f"{event['id']}:{user.pk}"


def _tell_customer_of_claim_move(event: dict, claim, user, *, title: str, message: str) -> None:
    """A customer's one socket message per claim move (claims does not send them the move itself): the
    notification, which carries the move for their claim page, or — with in-app updates turned off — a bare
    `claim:updated`, so the page still follows the claim."""
    if not wants(user, T.UPDATE, "in_app"):
        publish(
            "claim:updated",
            {"claim_id": claim.pk, "claim_number": claim.claim_number, "status": event["data"]["to"]},
            audience=[user_group(user.pk)],
        )
        return
    notify(
        user=user,
        kind=T.UPDATE,
        event=event["event"],
        title=title,
        message=message,
        data=event["data"],
        link=f"/claims/{claim.pk}",
        dedupe_key=_key(event, user),
    )


def claim_status_changed(event: dict) -> None:
    from apps.claims.models import Claim

    data = event["data"]
    claim = Claim.objects.select_related("customer").filter(pk=data["claim_id"]).first()
    if claim is None:
        return
    from apps.claims.models import ClaimStatus

    status = ClaimStatus(data["to"]).label.lower()  # the move this event is about, not the claim's status by now
    if data.get("from") is None:  # filed
        for user in _users(claim.handler_id):
            notify(
                user=user,
                kind=T.ASSIGNMENT,
                event=event["event"],
                title=f"New claim {claim.claim_number}",
                message=f"{claim.get_claim_type_display()} claim filed by {claim.customer.full_name}.",
                data=data,
                link=f"/admin/claims/claim/{claim.pk}/change/",
                dedupe_key=_key(event, user),
            )
        for user in _users(claim.customer.user_id):
            _tell_customer_of_claim_move(
                event,
                claim,
                user,
                title=f"We received your claim {claim.claim_number}",
                message="We will be in touch soon; you can follow it here.",
            )
        return
    for user in _users(claim.customer.user_id):
        _tell_customer_of_claim_move(
            event, claim, user, title=f"Claim {claim.claim_number}: {status}", message=f"Your claim is now {status}."
        )
    for user in _users(claim.handler_id):
        notify(
            user=user,
            kind=T.UPDATE,
            event=event["event"],
            title=f"Claim {claim.claim_number}: {status}",
            message=f"Moved from {data['from']} to {data['to']}.",
            data=data,
            link=f"/admin/claims/claim/{claim.pk}/change/",
            priority=Notification.Priority.LOW,
            dedupe_key=_key(event, user),
        )


def claim_assigned(event: dict) -> None:
    data = event["data"]
    for user in _users(data.get("handler_id"), data.get("assessor_id")):
        role = "assess" if user.pk == data.get("assessor_id") else "handle"
        notify(
            user=user,
            kind=T.ASSIGNMENT,
            event=event["event"],
            title=f"Claim {data['claim_number']} is yours",
            message=f"You were asked to {role} claim {data['claim_number']}.",
            data=data,
            link=f"/admin/claims/claim/{data['claim_id']}/change/",
            dedupe_key=_key(event, user),
        )


def claim_payment_pending(event: dict) -> None:
    data = event["data"]
    for user in User.objects.filter(role=Role.MANAGER, is_active=True):
        notify(
            user=user,
            kind=T.ASSIGNMENT,
            event=event["event"],
            title="A claim payment waits for approval",
            message=f"{data['amount']} on claim #{data['claim_id']} is above its requester's authority.",
            data=data,
            link="/admin/claims/claimpayment/?status__exact=pending_approval",
            priority=Notification.Priority.HIGH,
            dedupe_key=_key(event, user),
        )


def case_assigned(event: dict) -> None:
    from apps.renewals.models import RenewalCase

    data = event["data"]
    case = RenewalCase.objects.filter(pk=data["case_id"]).only("assigned_to_id").first()
    for user in _users(case.assigned_to_id if case else None):
        notify(
            user=user,
            kind=T.ASSIGNMENT,
            event=event["event"],
            title=f"Renewal case {data['case_number']}",
            message="A renewal case was assigned to you.",
            data=data,
            link=f"/admin/renewals/renewalcase/{data['case_id']}/change/",
            dedupe_key=_key(event, user),
        )


def case_escalated(event: dict) -> None:
    data = event["data"]
    for user in _users(data.get("escalated_to")):
        notify(
            user=user,
            kind=T.ASSIGNMENT,
            event=event["event"],
            title=f"Escalated: {data['case_number']}",
            message=data.get("reason", ""),
            data=data,
            priority=Notification.Priority.HIGH,
            link=f"/admin/renewals/renewalcase/{data['case_id']}/change/",
            dedupe_key=_key(event, user),
        )


def batch_progress(event: dict) -> None:
    from apps.renewals.models import UploadBatch

    data = event["data"]
    if data.get("status") not in ("completed", "failed"):
        return
    batch = UploadBatch.objects.filter(pk=data["batch_id"]).only("uploaded_by_id", "file_name").first()
    for user in _users(batch.uploaded_by_id if batch else None):
        ok = data["status"] == "completed"
        notify(
            user=user,
            kind=T.UPDATE,
            event=event["event"],
            title=f"Batch {batch.file_name} {'processed' if ok else 'failed'}",
            message=(
                f"{data['successful_records']} of {data['total_records']} rows imported, "
                f"{data['failed_records']} failed."
            )
            if ok
            else "Upload the file again to retry.",
            data=data,
            link=f"/admin/renewals/uploadbatch/{data['batch_id']}/change/",
            priority=Notification.Priority.MEDIUM if ok else Notification.Priority.HIGH,
            dedupe_key=f"batch:{data['batch_id']}:{data['status']}:{user.pk}",
        )


def renewal_reminder(event: dict) -> None:
    from apps.renewals.models import RenewalCase

    data = event["data"]
    case = RenewalCase.objects.select_related("policy__customer").filter(pk=data["case_id"]).first()
    for user in _users(case.policy.customer.user_id if case else None):
        notify(
            user=user,
            kind=T.REMINDER,
            event=event["event"],
            title=f"Your policy {data['policy_number']} renews in {data['days']} days",
            message="Contact your agent or renew from your portal.",
            data=data,
            link="/policies",
            dedupe_key=f"renewal-reminder:{data['case_id']}:{data['days']}:{user.pk}",
            email=False,  # the reminder itself went out on the customer's chosen channel
        )


def payment_due(event: dict) -> None:
    from apps.billing.models import Instalment

    data = event["data"]
    instalment = Instalment.objects.select_related("policy__customer").filter(pk=data["instalment_id"]).first()
    for user in _users(instalment.policy.customer.user_id if instalment else None):
        notify(
            user=user,
            kind=T.REMINDER,
            event=event["event"],
            title=f"{data['amount']} {data['currency']} due on {data['due_date']}",
            message=f"An instalment of your policy {data['policy_number']} falls due in {data['days']} day(s).",
            data=data,
            link="/payments",
            dedupe_key=f"payment-due:{data['instalment_id']}:{data['days']}:{user.pk}",
            email=False,  # the reminder itself went out on the customer's chosen channel
        )


def payment_overdue(event: dict) -> None:
    from apps.billing.models import Instalment

    data = event["data"]
    instalment = Instalment.objects.select_related("policy__customer").filter(pk=data["instalment_id"]).first()
    for user in _users(instalment.policy.customer.user_id if instalment else None):
        notify(
            user=user,
            kind=T.REMINDER,
            event=event["event"],
            title=f"{data['amount']} {data['currency']} overdue since {data['due_date']}",
            message=f"An instalment of your policy {data['policy_number']} is {data['days']} day(s) overdue. "
            "Pay now to keep your cover.",
            data=data,
            link="/payments",
            priority=Notification.Priority.HIGH,
            dedupe_key=f"payment-overdue:{data['instalment_id']}:{data['days']}:{user.pk}",
            email=False,  # the reminder itself went out on the customer's chosen channel
        )


def _policy_holder_users(policy_id: int):
    """The portal user of the customer who holds the policy (none if the policy is gone or has no login)."""
    from apps.policies.models import Policy

    policy = Policy.objects.select_related("customer").filter(pk=policy_id).first()
    return _users(policy.customer.user_id if policy else None)


def policy_lapsed_unpaid(event: dict) -> None:
    data = event["data"]
    for user in _policy_holder_users(data["policy_id"]):
        notify(
            user=user,
            kind=T.REMINDER,
            event=event["event"],
            title=f"Your policy {data['policy_number']} has lapsed for non-payment",
            message=f"{data['amount']} {data['currency']} is overdue. Pay it to put your cover back in force.",
            data=data,
            link=f"/policies/{data['policy_id']}",
            priority=Notification.Priority.HIGH,
            dedupe_key=f"arrears-lapsed:{_key(event, user)}",
            email=False,  # the notice itself went out on the customer's chosen channel
        )


def policy_reinstated_paid(event: dict) -> None:
    data = event["data"]
    for user in _policy_holder_users(data["policy_id"]):
        notify(
            user=user,
            kind=T.UPDATE,
            event=event["event"],
            title=f"Your policy {data['policy_number']} is back in force",
            message="Thank you: your arrears are paid.",
            data=data,
            link=f"/policies/{data['policy_id']}",
            dedupe_key=f"arrears-reinstated:{_key(event, user)}",
            email=False,
        )


HANDLERS = {
    "claim:status_changed": claim_status_changed,
    "claim:assigned": claim_assigned,
    "claim:payment_pending": claim_payment_pending,
    "case:assigned": case_assigned,
    "case:escalated": case_escalated,
    "batch:progress": batch_progress,
    "case:reminder_sent": renewal_reminder,
    "instalment:due": payment_due,
    "instalment:overdue": payment_overdue,
    "arrears:lapsed": policy_lapsed_unpaid,
    "arrears:reinstated": policy_reinstated_paid,
}


def enqueue(event: dict) -> None:
    """The in-process subscriber: hand the event to a worker, so creating rows and emails never slows the request
    that published it; the worker runs the event's handler (`HANDLERS`)."""
    from .tasks import dispatch

    dispatch.delay(event)


DISPATCH_CHUNK = 500


def enqueue_many(events: list[dict]) -> None:
    """`enqueue` for a bulk write's events (50,000 cases opened by the schedule): one task per chunk of events,
    where one message each would cost the publisher a broker round trip apiece."""
    from .tasks import dispatch, dispatch_many

    if len(events) == 1:
        dispatch.delay(events[0])
        return
    for start in range(0, len(events), DISPATCH_CHUNK):
        dispatch_many.delay(events[start : start + DISPATCH_CHUNK])


enqueue.many = enqueue_many  # type: ignore[attr-defined]

SUBSCRIPTIONS = dict.fromkeys(HANDLERS, enqueue)
