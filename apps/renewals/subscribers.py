"""What renewals does when other apps' events arrive (wired by apps.core: `SUBSCRIPTIONS`): a renewal case's
payment status follows billing (the renewal premium paid on the term the case issued)."""

from .services import renewal_case_payment_apply


def on_payment_received(event: dict) -> None:
    """After billing's commit: the payment's case, if it paid a term a case renewed into."""
    renewal_case_payment_apply(payment_id=event["data"]["payment_id"])


SUBSCRIPTIONS = {"payment:received": on_payment_received}
