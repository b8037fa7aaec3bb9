"""Reads of campaigns: visibility (`campaigns.py`) and analytics (`analytics.py`)."""
