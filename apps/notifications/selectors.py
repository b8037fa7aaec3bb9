from django.db.models import Q, QuerySet
from django.utils import timezone

from .models import Notification


def notifications_of(user) -> QuerySet[Notification]:
    """The user's own notifications that have not expired."""
    return Notification.objects.filter(user=user).filter(Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now()))
