"""What every claims endpoint shares: the role letters, the permission (role matrix narrowed per view), the payload
of one claim as the caller may see it."""

from rest_framework.permissions import SAFE_METHODS, BasePermission, IsAuthenticated

from apps.accounts.api.permissions import MfaSatisfied
from apps.accounts.models import User
from apps.accounts.roles import READ, WRITE, Role
from apps.claims.models import (
    Claim,
)

from .. import serializers as s

A, M, AG, AS, V = Role.ADMIN, Role.MANAGER, Role.AGENT, Role.ASSESSOR, Role.VIEWER


class ClaimsPermission(BasePermission):
    """Staff by the `claims` module of the role matrix, narrowed per view by `write_roles` (the roles the service
    itself checks: `services.ACTION_ROLES` or the claim workflow); customers only for the methods a view lists in
    `customer_methods` (and only their own claims, by the selectors)."""

    message = "Your role does not grant access to this claims action."

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False
        if user.role == Role.CUSTOMER:
            return request.method in getattr(view, "customer_methods", ())
        if request.method in SAFE_METHODS:
            return user.can("claims", READ)
        return user.can("claims", WRITE) and user.role in getattr(view, "write_roles", {A, M, AG, AS})


PERMISSIONS = [IsAuthenticated, MfaSatisfied, ClaimsPermission]


def _claim_payload(claim: Claim, user: User) -> dict:
    if user.role == Role.CUSTOMER:
        return s.CustomerClaimSerializer(claim).data
    return s.ClaimDetailSerializer(claim).data
