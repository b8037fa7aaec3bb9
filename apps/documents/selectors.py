"""Reads of documents scoped to what the asking user may see."""

from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404

from apps.accounts.models import User
from apps.accounts.roles import Role
from apps.customers.selectors import customers_visible_to

from .models import Document
from .owners import owner_only_types, owner_visibility


def documents_visible_to(user: User) -> QuerySet[Document]:
    """Staff: documents of the customers they see and of the owners they see (admins: all), except that
    documents of owner-only types (renewal cases) are reached through the owner alone. Customers: their own,
    shared with them."""
    qs = Document.objects.select_related("customer", "uploaded_by")
    if user.role == Role.ADMIN:
        return qs
    if user.role == Role.CUSTOMER:
        return qs.filter(customer__user=user, visibility=Document.Visibility.CUSTOMER).exclude(
            scan_status=Document.ScanStatus.INFECTED
        )
    if not user.can("documents"):
        return qs.none()
    condition = Q(customer__in=customers_visible_to(user).values("pk"))
    if owner_only := owner_only_types():
        condition &= ~Q(entity_type__in=owner_only)
    for entity_type, visible_ids in owner_visibility().items():
        condition |= Q(entity_type=entity_type, entity_id__in=visible_ids(user))
    return qs.filter(condition)


def document_get_for_user(*, user: User, pk, customer_id=None) -> Document:
    qs = documents_visible_to(user)
    if customer_id is not None:
        qs = qs.filter(customer_id=customer_id)
    return get_object_or_404(qs, pk=pk)
