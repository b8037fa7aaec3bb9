"""DRF permission classes built on the role matrix in roles.py."""

from django.conf import settings
from rest_framework.permissions import SAFE_METHODS, BasePermission

from .roles import READ, WRITE


class MfaSatisfied(BasePermission):
    """Default permission: MFA must be completed (when enrolled) or enrolled (when the role requires it).

    Views that let a user get out of that state (me, mfa/setup, mfa/verify, logout) set `mfa_exempt = True`.
    """

    message = "Multi-factor authentication is required for this account."
    code = "mfa_required"

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not (user and user.is_authenticated) or getattr(view, "mfa_exempt", False):
            return True
        if user.mfa_enabled:
            token = request.auth
            if token is not None and hasattr(token, "get"):
                return "otp" in (token.get("amr") or [])
            return bool(getattr(user, "is_verified", lambda: False)())
        if user.role in settings.MFA_REQUIRED_ROLES:
            self.message = "Your role requires multi-factor authentication: enrol at /api/v1/auth/mfa/setup."
            self.code = "mfa_enrollment_required"
            return False
        return True


def module_permission(module: str, *, write_methods_need: str = WRITE, read_access: str = READ):
    """Permission class requiring `module` access: read for safe methods, write for the others."""

    class HasModulePermission(BasePermission):
        message = f"Your role does not grant access to '{module}'."

        def has_permission(self, request, view) -> bool:
            user = request.user
            if not (user and user.is_authenticated):
                return False
            access = read_access if request.method in SAFE_METHODS else write_methods_need
            return user.can(module, access)

    HasModulePermission.__name__ = f"Has{module.title().replace('_', '')}Permission"
    HasModulePermission.module = module
    return HasModulePermission
