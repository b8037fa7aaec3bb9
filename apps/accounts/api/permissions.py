"""DRF permission classes: MFA state (the rule is `accounts.permissions.mfa_state`) and the role matrix's module
grants (`module_permission`, generic, in `apps.core.api.permissions`)."""

from rest_framework.permissions import BasePermission

from apps.core.api.permissions import module_permission

from ..permissions import mfa_state

__all__ = ["MfaSatisfied", "module_permission"]


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
