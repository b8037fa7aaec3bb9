"""Campaign services: audiences (`audience.py`), content and tokens (`content.py`), the lifecycle
(`campaigns.py`), sending (`sending.py`), A/B winners (`winners.py`), tracking and webhooks (`tracking.py`)."""
