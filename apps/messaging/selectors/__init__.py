"""Messaging reads, scoped to the user: conversations (`messages.py`), the DNC list and consent (`consent.py`)."""
