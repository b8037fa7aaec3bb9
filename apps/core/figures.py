"""Dashboard figures computed at most once per short window, and again as soon as the business moves.

An aggregate over a million renewal cases costs tens of milliseconds of database CPU; eight people (or one
page with six tiles) asking for it at once queue on two cores. `@dashboard_figure` keeps each answer per
user (their visibility scope) and arguments for `DASHBOARD_CACHE_SECONDS`, tagged with a generation that every
domain event bumps (claims moving, cases assigned, batches finishing, payments): after a change the next
request computes afresh, so a live refresh shows the change; between changes, concurrent viewers share one
computation. `DASHBOARD_CACHE_SECONDS = 0` turns it off (the test settings do, but for the tests of this).
"""

import functools
import hashlib
from decimal import Decimal

from django.conf import settings
from django.core.cache import cache

from .events import EVENTS

GENERATION_KEY = "figures:generation"
# Roles that see the whole book in every dashboard that lists them in `shared_by` (claims, cases, policies, arrears).
WHOLE_BOOK = ("admin", "manager")


def money_figure(amount: Decimal | int | None) -> float:
    """A sum of money on a dashboard is a JSON number, as seed 003 shows it (`"paymentCollected": 13850000`): a
    figure to chart and compare. Amounts on resources (a case's `renewal_amount`, a payment) stay decimal strings,
    exact to the cent (README "Seed 003 shapes")."""
    return float(amount or 0)


def bump_generation(event: dict | None = None) -> None:
    """Subscribed to every domain event (apps.core.apps): cached figures are stale from now on."""
    spec = EVENTS.get(event["event"]) if event is not None else None
    if spec is not None and not spec.figures:  # a notification, a probe: no figure changed
        return
    if not cache.add(GENERATION_KEY, 1, timeout=None):
        try:
            cache.incr(GENERATION_KEY)
        except ValueError:  # evicted between add and incr
            cache.add(GENERATION_KEY, 1, timeout=None)


def _bump_generation_many(events: list[dict]) -> None:
    """A bulk write's events (apps.core.events.publish_many): one bump for all of them."""
    for event in events:
        spec = EVENTS.get(event["event"])
        if spec is None or spec.figures:
            bump_generation(event)
            return


bump_generation.many = _bump_generation_many  # type: ignore[attr-defined]


def dashboard_figure(func=None, *, shared_by: tuple[str, ...] = ()):
    """Cache `func(*, user, **arguments)`; see the module docstring.

    `shared_by`: roles for whom the figure depends on the role alone (they see the whole book, so every admin gets
    the same answer): one cached answer serves everyone with that role, and a home page opened by the tenth manager
    after a change reads what the first one computed. Anyone else's answer is kept per user (their own scope)."""
    if func is None:
        return functools.partial(dashboard_figure, shared_by=shared_by)
    name = f"{func.__module__}.{func.__qualname__}"

    @functools.wraps(func)
    def wrapper(*, user, **arguments):
        seconds = settings.DASHBOARD_CACHE_SECONDS
        if not seconds:
            return func(user=user, **arguments)
        digest = hashlib.blake2b(repr(sorted(arguments.items())).encode(), digest_size=12).hexdigest()
        who = f"role-{user.role}" if user.role in shared_by else user.pk
        key = f"figures:{name}:{who}:{digest}"
        found = cache.get_many([GENERATION_KEY, key])
        generation = found.get(GENERATION_KEY, 0)
        kept = found.get(key)
        if kept is not None and kept[0] == generation:
            return kept[1]
        value = func(user=user, **arguments)
        cache.set(key, (generation, value), seconds)
        return value

    wrapper.uncached = func
    return wrapper
