"""JWT bearer authentication (simplejwt) with our claims: sub, email, role, permissions, amr, sid."""

import time
import uuid

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import connections, router
from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import AuthenticationFailed
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken
from rest_framework_simplejwt.utils import aware_utcnow, get_md5_hash_password

# The `sid` claim names one sign-in: every refresh token rotated from it and every access token issued with them
# carry it, so signing out with an access token alone can end the refresh tokens of that sign-in.
SESSION_CLAIM = "sid"


def _revoked_key(jti: str) -> str:
    return f"auth:revoked-access:{jti}"


def access_token_revoke(token) -> None:
    """The access token stops working now rather than at its expiry (≤ 1 h): its jti is kept in the cache until
    then. (Refresh tokens are blacklisted in the database by simplejwt.)"""
    remaining = int(token["exp"]) - int(time.time())
    if remaining > 0:
        cache.set(_revoked_key(token["jti"]), 1, timeout=remaining + 1)


# Access tokens whose signature and claims this process has verified, by their exact bytes: a request with the
# same token then costs an expiry check, not a decode (PyJWT checks the ~1 kB token character by character in
# Python, then the HMAC, then the claims: ~0.3 ms a request). Only a byte-identical token hits, so a forged or
# altered one is always decoded; the user, its state and the token's revocation are still read every request.
_VERIFIED: dict[bytes, AccessToken] = {}
_VERIFIED_MAX = 4096


_USER_QUERY: dict[str, tuple] = {}


def _user_by_pk(pk):
    """The user with this primary key, or None: the same SQL as `User.objects.get(pk=...)`, compiled once per
    database (Django compiles a query on every call: ~0.3 ms for the user's 21 columns, on every API request),
    with the fields' converters applied as the ORM does."""
    model = get_user_model()
    try:
        pk = model._meta.pk.to_python(pk)
    except DjangoValidationError:
        return None
    alias = router.db_for_read(model)
    compiled = _USER_QUERY.get(alias)
    if compiled is None:
        compiler = model._default_manager.filter(pk=pk).order_by().query.get_compiler(using=alias)
        sql, _params = compiler.as_sql()
        names = [column.target.attname for column, _sql, _alias in compiler.select]
        converters = compiler.get_converters([column for column, _sql, _alias in compiler.select])
        compiled = _USER_QUERY[alias] = (sql, names, list(converters.items()))
    sql, names, converters = compiled
    connection = connections[alias]
    with connection.cursor() as cursor:
        cursor.execute(sql, [pk])
        row = cursor.fetchone()
    if row is None:
        return None
    values = list(row)
    for position, (functions, expression) in converters:
        value = values[position]
        for function in functions:
            value = function(value, expression, connection)
        values[position] = value
    return model.from_db(alias, names, values)


class JwtAuthentication(JWTAuthentication):
    """Rejects tokens of deactivated users, tokens issued before the last password or MFA factor change, and
    access tokens revoked by a sign-out."""

    def get_validated_token(self, raw_token):
        key = bytes(raw_token)
        token = _VERIFIED.get(key)
        if token is not None:
            try:
                token.check_exp(current_time=aware_utcnow())
            except TokenError:
                _VERIFIED.pop(key, None)
            else:
                return token
        token = super().get_validated_token(raw_token)
        if isinstance(token, AccessToken):
            if len(_VERIFIED) >= _VERIFIED_MAX:
                _VERIFIED.clear()
            _VERIFIED[key] = token
        return token

    def get_user(self, validated_token):
        # simplejwt's own checks (claim, user, active, password hash), with the user read by `_user_by_pk`
        try:
            user_id = validated_token[jwt_settings.USER_ID_CLAIM]
        except KeyError as exc:
            raise InvalidToken(_("Token contained no recognizable user identification")) from exc
        user = _user_by_pk(user_id)
        if user is None:
            raise AuthenticationFailed(_("User not found"), code="user_not_found")
        if jwt_settings.CHECK_USER_IS_ACTIVE and not user.is_active:
            raise AuthenticationFailed(_("User is inactive"), code="user_inactive")
        if jwt_settings.CHECK_REVOKE_TOKEN and validated_token.get(
            jwt_settings.REVOKE_TOKEN_CLAIM
        ) != get_md5_hash_password(user.password):
            raise AuthenticationFailed(_("The user's password has been changed."), code="password_changed")
        changed = user.sessions_valid_from
        if changed is not None and validated_token.get("iat", 0) < int(changed.timestamp()):
            raise InvalidToken(
                {"detail": "Token predates a password or sign-in factor change.", "code": "token_not_valid"}
            )
        if cache.get(_revoked_key(validated_token.get("jti", ""))):
            raise InvalidToken({"detail": "Token was revoked by signing out.", "code": "token_not_valid"})
        return user


def refresh_token_for(user, *, otp_verified: bool, session_id: str | None = None) -> RefreshToken:
    """A refresh token whose access tokens carry seed 003's claims plus how the user authenticated and which
    sign-in they belong to (`session_id`: the rotated token's, else a new sign-in)."""
    token = RefreshToken.for_user(user)
    token["email"] = user.email
    token["role"] = user.role
    token["permissions"] = user.permissions
    token["amr"] = ["pwd", "otp"] if otp_verified else ["pwd"]
    token[SESSION_CLAIM] = session_id or uuid.uuid4().hex
    # simplejwt stored the token before our claims were added: store the token as issued, so a sign-out can
    # find the refresh tokens of a session by its `sid`.
    OutstandingToken.objects.filter(jti=token["jti"]).update(token=str(token))
    return token


def user_and_claims_from_access_token(raw: str):
    """(active user, claims) for a valid access token, else (None, None). Used by the websocket handshake."""
    try:
        token = AccessToken(raw)
        user = JwtAuthentication().get_user(token)
    except (TokenError, InvalidToken, get_user_model().DoesNotExist):
        return None, None
    return (user, dict(token.payload)) if user.is_active else (None, None)
