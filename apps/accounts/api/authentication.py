"""JWT bearer authentication (simplejwt) with our claims: sub, email, role, permissions, amr."""

from django.contrib.auth import get_user_model
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken


class JwtAuthentication(JWTAuthentication):
    """Rejects tokens of deactivated users and tokens issued before the last password or MFA factor change."""

    def get_user(self, validated_token):
        user = super().get_user(validated_token)
        changed = user.sessions_valid_from
        if changed is not None and validated_token.get("iat", 0) < int(changed.timestamp()):
            raise InvalidToken(
                {"detail": "Token predates a password or sign-in factor change.", "code": "token_not_valid"}
            )
        return user


def refresh_token_for(user, *, otp_verified: bool) -> RefreshToken:
    """A refresh token whose access tokens carry seed 003's claims plus how the user authenticated."""
    token = RefreshToken.for_user(user)
    token["email"] = user.email
    token["role"] = user.role
    token["permissions"] = user.permissions
    token["amr"] = ["pwd", "otp"] if otp_verified else ["pwd"]
    return token


def user_and_claims_from_access_token(raw: str):
    """(active user, claims) for a valid access token, else (None, None). Used by the websocket handshake."""
    try:
        token = AccessToken(raw)
        user = JwtAuthentication().get_user(token)
    except (TokenError, InvalidToken, get_user_model().DoesNotExist):
        return None, None
    return (user, dict(token.payload)) if user.is_active else (None, None)
