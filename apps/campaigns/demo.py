"""Demo data of the campaigns app for `manage.py seed_demo`: campaigns (`demo_campaigns.py`)."""

from . import demo_campaigns


def seed(*, stdout, options=None) -> None:
    demo_campaigns.seed(stdout=stdout, options=options)
