"""Websocket authentication: Django session cookie, or a JWT access token.

The token may come as `?token=<jwt>` or as the `Sec-WebSocket-Protocol` pair
`["bearer", "<jwt>"]` (browsers cannot set an Authorization header on a websocket).
"""

from urllib.parse import parse_qs

from channels.auth import AuthMiddlewareStack
from channels.db import database_sync_to_async
from channels.middleware import BaseMiddleware
from django.contrib.auth.models import AnonymousUser


@database_sync_to_async
def _user_from_token(raw: str):
    from ..api.authentication import user_and_claims_from_access_token

    user, claims = user_and_claims_from_access_token(raw)
    return (user or AnonymousUser()), claims


def _token_from_scope(scope) -> str | None:
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    if query.get("token"):
        return query["token"][0]
    protocols = scope.get("subprotocols") or []
    if len(protocols) >= 2 and protocols[0].lower() == "bearer":
        return protocols[1]
    return None


class JwtAuthMiddleware(BaseMiddleware):
    async def __call__(self, scope, receive, send):
        token = _token_from_scope(scope)
        if token:
            scope["user"], scope["token_claims"] = await _user_from_token(token)
            scope["auth_method"] = "jwt"
        return await super().__call__(scope, receive, send)


def JwtOrSessionAuthMiddleware(inner):  # noqa: N802  (mirrors channels' AuthMiddlewareStack)
    """Session auth first (sets scope['user']), then a JWT overrides it when present."""
    return AuthMiddlewareStack(JwtAuthMiddleware(inner))
