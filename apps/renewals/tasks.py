"""Renewal schedules (celery beat). Each job is idempotent: running it twice in a day does nothing twice."""

from celery import shared_task


@shared_task(name="renewals.open_due")
def open_due_cases() -> int:
    from apps.renewals.services import renewal_cases_open_due

    return renewal_cases_open_due()


@shared_task(name="renewals.reminders")
def send_reminders() -> int:
    from apps.renewals.services import renewal_reminders_send

    return renewal_reminders_send()


@shared_task(name="renewals.lapse")
def lapse_overdue() -> int:
    from apps.renewals.services import renewal_lapse_overdue

    return renewal_lapse_overdue()


@shared_task(
    name="renewals.process_batch",
    acks_late=True,
    autoretry_for=(OSError,),
    retry_backoff=True,
    retry_kwargs={"max_retries": 5},
)
def process_batch(batch_id: int) -> str:
    from apps.renewals.ingest import batch_process

    return batch_process(batch_id=batch_id).status
