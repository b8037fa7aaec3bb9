"""The CRM's part of a customer's GDPR export and erasure (hooks `gdpr.export`, `gdpr.erase`).

Kept on erasure: deals' stages, values and dates, tasks' and appointments' times (the brokerage's sales
records). Scrubbed: the free text that may describe the person — activity subjects and bodies, task and
appointment descriptions, the notes of the leads they came from, and those leads' contact details."""

from apps.core.erasure import history_of, scrub_text
from apps.customers.models import Customer

from .models import Activity, Appointment, Lead, Opportunity, Task


def _activities(customer: Customer):
    return (
        Activity.objects.filter(customer=customer)
        | Activity.objects.filter(opportunity__customer=customer)
        | Activity.objects.filter(lead__converted_customer=customer)
    )


def export_customer_data(customer: Customer, archive, *, for_customer: bool) -> dict:
    """Opportunities and appointments; activities and tasks (staff notes) only in a staff export."""
    data: dict = {
        "opportunities": [
            {"title": o.title, "stage": o.stage, "value": str(o.value), "created_at": o.created_at}
            for o in Opportunity.objects.filter(customer=customer).order_by("created_at", "id")
        ],
        "appointments": [
            {"title": a.title, "start": a.start, "end": a.end, "status": a.status, "location": a.location}
            for a in Appointment.objects.filter(customer=customer).order_by("start", "id")
        ],
    }
    if not for_customer:
        data["activities"] = [
            {"kind": a.kind, "subject": a.subject, "body": a.body, "occurred_at": a.occurred_at}
            for a in _activities(customer).order_by("occurred_at", "id")
        ]
        data["tasks"] = [
            {"title": t.title, "description": t.description, "status": t.status, "due_at": t.due_at}
            for t in Task.objects.filter(customer=customer).order_by("created_at", "id")
        ]
    return {"crm": data}


def erase_customer_data(customer: Customer) -> None:
    activities = _activities(customer)
    ids = list(activities.values_list("pk", flat=True))
    scrub_text(Activity.objects.filter(pk__in=ids), "subject", "body")
    scrub_text(history_of(Activity, ids), "subject", "body")
    tasks = Task.objects.filter(customer=customer)
    scrub_text(tasks, "description")
    scrub_text(history_of(Task, tasks.values("pk")), "description")
    appointments = Appointment.objects.filter(customer=customer)
    scrub_text(appointments, "description")
    scrub_text(history_of(Appointment, appointments.values("pk")), "description")
    leads = Lead.objects.filter(converted_customer=customer)
    scrub_text(leads, "notes", "email", "phone", "email_key", "phone_key")
    scrub_text(history_of(Lead, leads.values("pk")), "notes", "email", "phone", "email_key", "phone_key")
