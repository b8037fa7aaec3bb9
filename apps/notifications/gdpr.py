"""The notifications app's part of a customer's GDPR export and erasure (hooks `gdpr.export`, `gdpr.erase`).

A person's own notifications and preferences are messages to them with no retention need: erasure deletes them.
Staff notifications about the person's claims and cases stay (the staff's work history) with their message text
scrubbed, since it names the claimant ("claim filed by …") or repeats an escalation reason; their audit snapshots
(pghistory) are scrubbed alike."""

from django.db.models import Q

from apps.claims.models import Claim
from apps.core.erasure import ERASED, history_of, scrub, scrub_history, scrub_text
from apps.customers.models import Customer
from apps.renewals.models import RenewalCase

from .models import Notification, NotificationPreference


def export_customer_data(customer: Customer, archive, *, for_customer: bool) -> dict:
    """The in-app notifications sent to the person's portal account, and their notification preferences."""
    if not customer.user_id:
        return {"notifications": [], "notification_preferences": None}
    notifications = Notification.objects.filter(user_id=customer.user_id).order_by("created_at", "id")
    preference = NotificationPreference.objects.filter(user_id=customer.user_id).first()
    return {
        "notifications": list(
            notifications.values(
                "created_at", "type", "event", "title", "message", "link", "read_status", "read_at", "email_status"
            )
        ),
        "notification_preferences": (
            {"in_app": preference.in_app, "email": preference.email, "quiet_hours": preference.quiet_hours}
            if preference
            else None
        ),
    }


def erase_customer_data(customer: Customer) -> None:
    if customer.user_id:
        own = list(Notification.objects.filter(user_id=customer.user_id).values_list("pk", flat=True))
        Notification.objects.filter(pk__in=own).delete()
        NotificationPreference.objects.filter(user_id=customer.user_id).delete()
        # their audit snapshots go blank too (the rows' ids, times and types stay: that a message was sent)
        scrub_history(Notification, own, title=ERASED, message=ERASED, data={}, link="")
    claim_ids = list(Claim.objects.filter(customer=customer).values_list("pk", flat=True))
    case_ids = list(RenewalCase.objects.filter(policy__customer=customer).values_list("pk", flat=True))
    about_them = Q(data__claim_id__in=claim_ids) | Q(data__case_id__in=case_ids)
    if customer.full_name:
        about_them |= Q(message__icontains=customer.full_name)
    staff = Notification.objects.filter(about_them).exclude(message="")
    scrub_text(history_of(Notification, staff.values("pk")), "message")
    scrub(staff, message=ERASED)
