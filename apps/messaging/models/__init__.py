"""Messaging models: the consent ledger, the DNC list and refusals (`consent.py`); conversations, messages and
WhatsApp templates (`messages.py`); Web Push subscriptions (`push.py`)."""

from .consent import Channel, ConsentRecord, DncEntry, OutboundRefusal, Purpose
from .email import (
    ClassifierModel,
    Email,
    EmailAccount,
    EmailCategory,
    EmailEvent,
    EmailLink,
    EmailPriority,
    EmailStatus,
    EmailTemplate,
    TrainingExample,
)
from .messages import Conversation, Message, WhatsAppTemplate
from .push import PushSubscription

__all__ = [
    "Channel",
    "ClassifierModel",
    "ConsentRecord",
    "Conversation",
    "DncEntry",
    "Email",
    "EmailAccount",
    "EmailCategory",
    "EmailEvent",
    "EmailLink",
    "EmailPriority",
    "EmailStatus",
    "EmailTemplate",
    "Message",
    "OutboundRefusal",
    "Purpose",
    "PushSubscription",
    "TrainingExample",
    "WhatsAppTemplate",
]
