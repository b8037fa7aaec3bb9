"""Demo data of the campaigns app (seed_demo): surveys now; campaigns add theirs here."""

from . import demo_surveys


def seed(*, stdout, options=None) -> None:
    demo_surveys.seed(stdout=stdout, options=options)
