"""WhatsApp templates (seed 003 `whatsapp_templates`): created pending, approved or rejected by Meta's review (its
template status webhook, or an admin in the sandbox), and the approved one reminders use outside the window."""

import logging
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from apps.accounts.models import User
from apps.core.exceptions import Invalid

from ..models import Channel, WhatsAppTemplate
from ..providers import provider_for

logger = logging.getLogger("insureops.messaging")


def reminder_template() -> WhatsAppTemplate | None:
    """The approved template that carries a service notice outside the 24-hour window (MESSAGING_WHATSAPP_NOTICE_
    TEMPLATE, body "{{1}}"), or None when it is missing or not approved."""
    return WhatsAppTemplate.objects.filter(
        name=settings.MESSAGING_WHATSAPP_NOTICE_TEMPLATE, status=WhatsAppTemplate.Status.APPROVED
    ).first()


def whatsapp_template_create(
    *, name: str, category: str, language: str, body: str, actor: User | None, components: list | None = None
) -> WhatsAppTemplate:
    template = WhatsAppTemplate(
        name=name,
        category=category,
        language=language,
        template_data={"body": body, "components": components or []},
        created_by=actor,
    )
    template.full_clean()
    template.save()
    return template


def whatsapp_template_status_set(
    *, template: WhatsAppTemplate, status: str, reason: str = "", now: datetime | None = None
) -> WhatsAppTemplate:
    if status not in WhatsAppTemplate.Status.values:
        raise Invalid("Unknown template status.", details={"status": [status]})
    with transaction.atomic():
        locked = WhatsAppTemplate.objects.select_for_update().get(pk=template.pk)
        locked.status = status
        locked.rejection_reason = reason[:255] if status == WhatsAppTemplate.Status.REJECTED else ""
        locked.approved_at = (now or timezone.now()) if status == WhatsAppTemplate.Status.APPROVED else None
        locked.save(update_fields=["status", "rejection_reason", "approved_at", "updated_at"])
    return locked


def whatsapp_template_status_sync(*, name: str, language: str, status: str, reason: str = "") -> int:
    """Apply a review result from the provider to the template(s) it names (Meta language codes such as en_US
    match our `en` too). Only a real change is written. Returns how many changed."""
    short = language.split("_")[0]
    changed = 0
    for template in WhatsAppTemplate.objects.filter(name=name, language__in={language, short}):
        kept_reason = reason[:255] if status == WhatsAppTemplate.Status.REJECTED else ""
        if (template.status, template.rejection_reason) == (status, kept_reason):
            continue
        whatsapp_template_status_set(template=template, status=status, reason=reason)
        changed += 1
    return changed


def whatsapp_templates_poll() -> dict:
    """The beat job: ask the WhatsApp provider for every template's review status and apply the changes (a review
    whose webhook was lost, or arrived before the template was entered here, is caught up). The sandbox has no
    remote review — its templates are approved or rejected in the admin — so it checks nothing."""
    adapter = provider_for(Channel.WHATSAPP)
    fetch = getattr(adapter, "template_statuses", None)
    if fetch is None:
        return {"provider": adapter.name, "checked": 0, "changed": 0}
    statuses = fetch()  # ProviderError: nothing applied, the next run tries again
    changed = 0
    with transaction.atomic():
        for status in statuses:
            changed += whatsapp_template_status_sync(
                name=status.name, language=status.language, status=status.status, reason=status.reason
            )
    if changed:
        logger.info("WhatsApp template review: %s template(s) changed status", changed)
    return {"provider": adapter.name, "checked": len(statuses), "changed": changed}
