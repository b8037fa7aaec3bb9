"""JWT sessions (simplejwt): issue, verify, rotate and revoke refresh tokens.

The API's session store. `accounts.services` calls these for the use cases that start or end sessions (login,
refresh, logout, a password change); nothing outside this package imports simplejwt.
"""

from django.utils import timezone
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.state import token_backend
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken, UntypedToken

from .authentication import SESSION_CLAIM, access_token_revoke, refresh_token_for

__all__ = ["SESSION_CLAIM", "access_token_revoke"]  # re-exported: services sign access tokens out through here


class TokenInvalid(Exception):
    """The token is malformed, badly signed, expired, of the wrong type or (where checked) revoked."""


def token_pair(*, user, otp_verified: bool, session_id: str | None = None) -> dict:
    """Seed 003 token block: access_token, refresh_token, expires_in (seconds). `session_id`: the sign-in the
    pair belongs to (a rotation keeps it), else a new one."""
    refresh = refresh_token_for(user, otp_verified=otp_verified, session_id=session_id)
    access = refresh.access_token
    # Its `exp` counts from the refresh token's creation; so must its `iat`, or a second boundary crossed while the
    # refresh token is stored makes the access token live 3599 s instead of ACCESS_TOKEN_LIFETIME.
    access.set_iat(at_time=refresh.current_time)
    return {
        "access_token": str(access),
        "refresh_token": str(refresh),
        "token_type": "Bearer",
        "expires_in": int(jwt_settings.ACCESS_TOKEN_LIFETIME.total_seconds()),
    }


def user_refresh_tokens_revoke(user) -> int:
    """Blacklist every outstanding refresh token of `user`; returns how many were still live."""
    outstanding = OutstandingToken.objects.filter(user=user, expires_at__gt=timezone.now()).exclude(
        blacklistedtoken__isnull=False
    )
    BlacklistedToken.objects.bulk_create([BlacklistedToken(token=t) for t in outstanding], ignore_conflicts=True)
    return len(outstanding)


def refresh_token_claims(raw: str) -> dict:
    """The claims of a well-formed, correctly signed, unexpired refresh token, revoked or not (reuse detection
    needs to see revoked ones)."""
    try:
        token = RefreshToken(raw, verify=False)
        token.verify_token_type()
        token.check_exp()
        UntypedToken(raw)  # signature
    except TokenError as exc:
        raise TokenInvalid(str(exc)) from None
    return dict(token.payload)


def refresh_token_consume(jti: str) -> bool | None:
    """Blacklist the refresh token `jti` for a rotation. None: unknown token; True: it was already used (reuse);
    False: consumed now. Locks the row, so two concurrent rotations of one token cannot both succeed: call it
    inside a transaction."""
    outstanding = OutstandingToken.objects.select_for_update(of=("self",)).filter(jti=jti).first()
    if outstanding is None:
        return None
    if BlacklistedToken.objects.filter(token=outstanding).exists():
        return True
    BlacklistedToken.objects.create(token=outstanding)
    return False


def refresh_token_revoke(raw: str, *, subject: str) -> str | None:
    """Blacklist a live refresh token of `subject` (the user's pk as a string); returns its sign-in (`sid`)."""
    try:
        token = RefreshToken(raw)
    except TokenError:
        raise TokenInvalid("The refresh token is invalid or already revoked.") from None
    if str(token.get("sub")) != subject:
        raise TokenInvalid("This refresh token belongs to another session.")
    token.blacklist()
    return token.get(SESSION_CLAIM)


def session_refresh_tokens_revoke(*, user, sessions: set[str]) -> int:
    """Blacklist the user's live refresh tokens of these sign-ins. Rotation blacklists the old token, so a
    user's live tokens are one per sign-in: few to decode (the stored token holds our claims, `sid` among them)."""
    if not sessions:
        return 0
    live = OutstandingToken.objects.filter(user=user, expires_at__gt=timezone.now(), blacklistedtoken__isnull=True)
    ending = [t for t in live if token_backend.decode(t.token, verify=False).get(SESSION_CLAIM) in sessions]
    BlacklistedToken.objects.bulk_create([BlacklistedToken(token=t) for t in ending], ignore_conflicts=True)
    return len(ending)
