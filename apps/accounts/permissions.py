"""DRF permission classes built on the role matrix in roles.py."""

from django.conf import settings
from rest_framework.permissions import SAFE_METHODS, BasePermission

from .roles import READ, WRITE


def mfa_state(user, *, token_claims=None, session_verified: bool = False) -> str:
    """'ok', 'verify' (enrolled, this session/token did not pass MFA) or 'enrol' (role requires MFA, none yet).

    The one rule for the API, websockets and the admin."""
    if user.mfa_enabled:
        if token_claims is not None:
            return "ok" if "otp" in (token_claims.get("amr") or []) else "verify"
        return "ok" if session_verified else "verify"
    return "enrol" if user.role in settings.MFA_REQUIRED_ROLES else "ok"


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
        token = request.auth if request.auth is not None and hasattr(request.auth, "get") else None
        verified = bool(getattr(user, "is_verified", lambda: False)())
        state = mfa_state(user, token_claims=token, session_verified=verified)
        if state == "enrol":
            self.message = "Your role requires multi-factor authentication: enrol at /api/v1/auth/mfa/setup."
            self.code = "mfa_enrollment_required"
        return state == "ok"


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
