"""`/ws/events/`: relays domain events to the authenticated user's groups. No logic here."""

from collections import deque

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from apps.core.events import DASHBOARD_GROUP, role_group, user_group

CLOSE_UNAUTHENTICATED = 4401
CLOSE_MFA_REQUIRED = 4403


@database_sync_to_async
def _groups_for(scope) -> list[str] | None:
    """The user's groups, or None when MFA is required and this connection did not pass it."""
    from django_otp import DEVICE_ID_SESSION_KEY

    from ..permissions import mfa_state
    from ..selectors import user_event_groups

    user = scope["user"]
    session = scope.get("session")
    verified = bool(session is not None and session.get(DEVICE_ID_SESSION_KEY))
    if mfa_state(user, token_claims=scope.get("token_claims"), session_verified=verified) != "ok":
        return None
    return user_event_groups(user)


class EventsConsumer(AsyncJsonWebsocketConsumer):
    groups_joined: list[str]
    # An event sent to several of this socket's groups (a claim move to `role.manager` and `dashboard`, to a
    # handler's `user.<id>` and `dashboard`) arrives once per group; the client gets it once.
    recent_ids: deque[str]

    async def connect(self):
        user = self.scope.get("user")
        self.groups_joined = []
        self.recent_ids = deque(maxlen=256)
        if user is None or not user.is_authenticated or not user.is_active:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        groups = await _groups_for(self.scope)
        if groups is None:
            await self.close(code=CLOSE_MFA_REQUIRED)
            return
        self.groups_joined = groups
        for group in self.groups_joined:
            await self.channel_layer.group_add(group, self.channel_name)
        subprotocol = "bearer" if "bearer" in [p.lower() for p in self.scope.get("subprotocols") or []] else None
        await self.accept(subprotocol=subprotocol)
        await self.send_json({"event": "connection:ready", "data": {"groups": self.groups_joined}})

    async def disconnect(self, code):
        for group in self.groups_joined:
            await self.channel_layer.group_discard(group, self.channel_name)

    async def receive_json(self, content, **kwargs):
        # Clients only listen; a ping keeps proxies from closing idle sockets.
        if isinstance(content, dict) and content.get("type") == "ping":
            await self.send_json({"event": "connection:pong", "data": {}})

    async def event_message(self, message):
        event = message["event"]
        if event["id"] in self.recent_ids:
            return
        self.recent_ids.append(event["id"])
        await self.send_json(event)


__all__ = ["DASHBOARD_GROUP", "EventsConsumer", "role_group", "user_group"]
