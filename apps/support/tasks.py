"""Service desk schedules (celery beat). Idempotent: an SLA alert is keyed per target and clock."""

from celery import shared_task


@shared_task(name="support.sla_sweep")
def sla_sweep() -> int:
    from apps.support.services import tickets_sla_sweep

    return tickets_sla_sweep()
