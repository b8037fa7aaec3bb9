"""Which records documents may be attached to (`entity_type`), and how to find one the user may see.

Higher apps register their types in AppConfig.ready():
    register_owner("claim", lambda user, pk: (claim.policy.customer, claim.pk))
so this app never imports them. A resolver returns (customer or None, entity_id) or raises Http404.
"""

from collections.abc import Callable

from apps.customers.selectors import customer_get_for_user

Resolver = Callable[..., tuple]
_OWNERS: dict[str, Resolver] = {}
# entity_type -> f(user) returning a queryset of the ids of such entities the user may see (staff reach a
# document through its owner too: an assessor sees the photos of the claims assigned to them)
_VISIBLE: dict[str, Callable] = {}
# entity types whose documents staff reach only through the owner, not through the customer they are about
_OWNER_ONLY: set[str] = set()


def register_owner(
    entity_type: str, resolver: Resolver, *, visible_ids: Callable | None = None, owner_only: bool = False
) -> None:
    """`owner_only`: staff see these documents only when they see the owner (`visible_ids`), even if they see
    the customer. A renewal case's files are for the people working the case (its agent, managers, admins),
    not for every agent of the customer's team."""
    if owner_only and visible_ids is None:
        raise ValueError(f"{entity_type}: owner_only documents need visible_ids")
    _OWNERS[entity_type] = resolver
    if visible_ids is not None:
        _VISIBLE[entity_type] = visible_ids
    if owner_only:
        _OWNER_ONLY.add(entity_type)


def owner_only_types() -> list[str]:
    return sorted(_OWNER_ONLY)


def owner_visibility() -> dict[str, Callable]:
    return dict(_VISIBLE)


def owner_types() -> list[str]:
    return sorted(_OWNERS)


def resolve_owner(*, user, entity_type: str, entity_id):
    if entity_type not in _OWNERS:
        raise KeyError(entity_type)
    return _OWNERS[entity_type](user, entity_id)


def _customer_owner(user, pk):
    customer = customer_get_for_user(user=user, pk=pk)
    return customer, customer.pk


register_owner("customer", _customer_owner)
