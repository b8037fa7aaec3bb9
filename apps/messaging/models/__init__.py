"""Messaging models: the consent ledger, the DNC list and refusals (`consent.py`); conversations, messages and
WhatsApp templates (`messages.py`); Web Push subscriptions (`push.py`)."""

from .consent import Channel, ConsentRecord, DncEntry, OutboundRefusal, Purpose
from .messages import Conversation, Message, WhatsAppTemplate
from .push import PushSubscription

__all__ = [
    "Channel",
    "ConsentRecord",
    "Conversation",
    "DncEntry",
    "Message",
    "OutboundRefusal",
    "Purpose",
    "PushSubscription",
    "WhatsAppTemplate",
]
