"""Catalogue schedules (celery beat): thin, idempotent wrappers around services."""

from celery import shared_task


@shared_task(name="catalog.quotes_purge")
def quotes_purge() -> int:
    from apps.catalog.services import quotes_unapplied_purge

    return quotes_unapplied_purge()
