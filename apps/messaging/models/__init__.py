"""Messaging models: the consent ledger, the DNC list and refusals (`consent.py`); conversations, messages and
WhatsApp templates (`messages.py`)."""

from .consent import Channel, ConsentRecord, DncEntry, OutboundRefusal, Purpose
from .messages import Conversation, Message, WhatsAppTemplate

__all__ = [
    "Channel",
    "ConsentRecord",
    "Conversation",
    "DncEntry",
    "Message",
    "OutboundRefusal",
    "Purpose",
    "WhatsAppTemplate",
]
