"""Demo data of the campaigns app for `manage.py seed_demo`: campaigns (`demo_campaigns.py`) and surveys
(`demo_surveys.py`)."""

from . import demo_campaigns, demo_surveys


def seed(*, stdout, options=None) -> None:
    demo_campaigns.seed(stdout=stdout, options=options)
    demo_surveys.seed(stdout=stdout, options=options)
