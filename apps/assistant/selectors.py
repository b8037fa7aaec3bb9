"""Reads of the assistant's records, scoped to who may see them."""

from django.db.models import QuerySet

from apps.accounts.models import User
from apps.accounts.roles import Role

from .models import RescindedResponse


def rescinded_responses_visible_to(user: User) -> QuerySet[RescindedResponse]:
    """Admins and managers oversee every rescinded answer (the log is about the model, not one person's rows)."""
    if user.role in (Role.ADMIN, Role.MANAGER):
        return RescindedResponse.objects.all()
    return RescindedResponse.objects.none()
