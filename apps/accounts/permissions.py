"""The MFA rule shared by the API, websockets and the admin (DRF permission classes: `api/permissions.py`)."""

from django.conf import settings


def mfa_state(user, *, token_claims=None, session_verified: bool = False) -> str:
    """'ok', 'verify' (enrolled, this session/token did not pass MFA) or 'enrol' (role requires MFA, none yet).

    The one rule for the API, websockets and the admin."""
    if user.mfa_enabled:
        if token_claims is not None:
            return "ok" if "otp" in (token_claims.get("amr") or []) else "verify"
        return "ok" if session_verified else "verify"
    return "enrol" if user.role in settings.MFA_REQUIRED_ROLES else "ok"
