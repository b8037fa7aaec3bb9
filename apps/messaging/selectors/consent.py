"""The DNC list and the refusals: staff of the messaging module see all of it (it is the firm's list)."""

from django.db.models import QuerySet

from apps.accounts.models import User
from apps.accounts.roles import role_can

from ..models import DncEntry


def dnc_entries_visible_to(user: User) -> QuerySet[DncEntry]:
    if not role_can(user.role, "messaging"):
        return DncEntry.objects.none()
    return DncEntry.objects.select_related("added_by")
