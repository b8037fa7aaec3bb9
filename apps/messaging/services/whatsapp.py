"""WhatsApp templates (seed 003 `whatsapp_templates`): created pending, approved or rejected by Meta's review (its
template status webhook, or an admin in the sandbox), and the approved one reminders use outside the window."""

from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from apps.accounts.models import User
from apps.core.exceptions import Invalid

from ..models import WhatsAppTemplate


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
    match our `en` too). Returns how many changed."""
    short = language.split("_")[0]
    changed = 0
    for template in WhatsAppTemplate.objects.filter(name=name, language__in={language, short}):
        whatsapp_template_status_set(template=template, status=status, reason=reason)
        changed += 1
    return changed
