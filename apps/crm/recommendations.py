"""What the CRM knows of a customer that should move their product recommendations (the policies app's
`recommendations.relationship` hook), and the cross-sell gaps the recommendations find, put in front of the owning
agent as suggested opportunities.

Signals (reasons are shown to the customer too, so they say what happened, never an agent's private note):
- a deal in progress for a line: up — the agent is already on it (a suggestion of ours that nobody has worked yet
  does not count, or suggestions would feed themselves);
- a deal declined (Lost) within CRM_DECLINED_QUIET_DAYS: down — we do not push what they just turned down;
- an activity on the customer or their deals that mentions a line (a call about their flat): up.
"""

from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from apps.catalog.models import ProductLine
from apps.customers.models import Customer, Interaction
from apps.policies.models import Policy
from apps.policies.recommendations import (
    HELD,
    Peers,
    Signal,
    latest_per_customer,
    line_patterns,
    mentioned_lines,
    recommend_many,
)

from .models import OPEN_STAGES, Activity, Opportunity, OpportunityStage

OPEN_DEAL_POINTS = Decimal("1.0")
DECLINED_POINTS = Decimal("-3.0")
ACTIVITY_POINTS = Decimal("0.75")
CURSOR_KEY = "crm:cross_sell:after"  # the last customer id the daily run looked at


def _day(moment) -> str:
    return f"{timezone.localtime(moment):%d %b %Y}"


def _deal_signal(deal) -> Signal:
    name = deal.product_line.name.lower()
    if deal.stage == OpportunityStage.LOST:
        return Signal(
            DECLINED_POINTS,
            f"You decided against {name} cover on {_day(deal.closed_at)}.",
            "crm.declined",
            line=deal.product_line.code,
            at=deal.closed_at,
        )
    return Signal(
        OPEN_DEAL_POINTS,
        f"Your agent is preparing a {name} offer with you.",
        "crm.opportunity",
        line=deal.product_line.code,
        at=deal.updated_at,
    )


def _activity_signals(activity, patterns, names) -> list[Signal]:
    return [
        Signal(
            ACTIVITY_POINTS,
            f"You discussed {names[code]} cover with your agent on {_day(activity.occurred_at)}.",
            "crm.activity",
            line=code,
            at=activity.occurred_at,
        )
        for code in mentioned_lines(f"{activity.subject}\n{activity.body}", patterns)
    ]


def _deals():
    declined_since = timezone.now() - timedelta(days=settings.CRM_DECLINED_QUIET_DAYS)
    return (
        Opportunity.objects.filter(product_line__isnull=False)
        .filter(Q(stage__in=OPEN_STAGES) | Q(stage=OpportunityStage.LOST, closed_at__gte=declined_since))
        .exclude(suggested=True, stage=OpportunityStage.NEW)
        .select_related("product_line")
    )


def relationship_signals(*, customer: Customer, since: datetime) -> list[Signal]:
    """The `recommendations.relationship` provider (see the module docstring). Three queries."""
    signals = [_deal_signal(deal) for deal in _deals().filter(customer=customer).order_by("-updated_at")[:50]]
    lines = list(ProductLine.objects.all())
    patterns, names = line_patterns(lines), {line.code: line.name.lower() for line in lines}
    activities = (
        Activity.objects.filter(Q(customer=customer) | Q(opportunity__customer=customer), occurred_at__gte=since)
        .only("kind", "subject", "body", "occurred_at")
        .order_by("-occurred_at")[:200]
    )
    for activity in activities:
        signals.extend(_activity_signals(activity, patterns, names))
    return signals


def relationship_signals_many(*, customers: list[Customer], since: datetime) -> dict[int, list[Signal]]:
    """The `recommendations.relationship_many` provider: `relationship_signals` for many customers, four queries
    for all of them (each customer's latest 50 deals and 200 activities by a window)."""
    ids = [customer.pk for customer in customers]
    signals: dict[int, list[Signal]] = {pk: [] for pk in ids}
    deals = latest_per_customer(
        _deals().filter(customer_id__in=ids), per_customer=50, order_by=[F("updated_at").desc()]
    )
    for deal in deals:
        signals[deal.customer_id].append(_deal_signal(deal))
    lines = list(ProductLine.objects.all())
    patterns, names = line_patterns(lines), {line.code: line.name.lower() for line in lines}
    # on the customer, or on one of their deals (two indexed queries rather than one OR across a join)
    fields = ("kind", "subject", "body", "occurred_at")
    recent = Activity.objects.filter(occurred_at__gte=since)
    own = latest_per_customer(
        recent.filter(customer_id__in=ids).annotate(owner=F("customer_id")).only(*fields),
        per_customer=200,
        order_by=[F("occurred_at").desc()],
        customer_field="customer_id",
    )
    on_deals = latest_per_customer(
        recent.filter(opportunity__customer_id__in=ids).annotate(owner=F("opportunity__customer_id")).only(*fields),
        per_customer=200,
        order_by=[F("occurred_at").desc()],
        customer_field="opportunity__customer_id",
    )
    found: dict[int, list] = {}
    for activity in [*own, *on_deals]:
        found.setdefault(activity.owner, []).append(activity)
    for pk, activities in found.items():
        activities.sort(key=lambda a: a.occurred_at, reverse=True)
        for activity in activities[:200]:
            signals[pk].extend(_activity_signals(activity, patterns, names))
    return signals


def cross_sell_candidates(*, active_days: int):
    """Customers with an active agent whose relationship moved in the last `active_days` (an interaction, a CRM
    activity, a policy change): the ones worth looking at again."""
    since = timezone.now() - timedelta(days=active_days)
    return Customer.objects.filter(agent__isnull=False, agent__is_active=True).filter(
        Exists(Interaction.objects.filter(customer=OuterRef("pk"), occurred_at__gte=since))
        | Exists(Activity.objects.filter(customer=OuterRef("pk"), occurred_at__gte=since))
        | Exists(Policy.objects.filter(customer=OuterRef("pk"), updated_at__gte=since))
    )


CHUNK = 2000  # customers scored and written together (one transaction each)


def cross_sell_suggest(*, customers=None, active_days: int = 7, limit: int | None = None) -> int:
    """Suggest to each customer's agent the cross-sell gaps the recommendations find: a line the customer holds
    nothing in, scoring at least CRM_SUGGESTION_MIN_SCORE, with no deal for it open — at most
    CRM_SUGGESTIONS_PER_CUSTOMER per customer, as opportunities in stage New marked `suggested`, with the reasons.
    Idempotent: an open suggestion for the same customer and line is never made twice (a unique index). Answers
    the suggestions made.

    Set-based: the customers are scored CHUNK at a time by `recommend_many` (a handful of queries per chunk, not a
    dozen per customer) and each chunk's suggestions written in one INSERT (`services.opportunities_suggest`).
    At most `limit` (CRM_SUGGESTIONS_PER_RUN) customers a run, in id order; the daily run carries on the next day
    after the last one it looked at (a cursor in the cache) and starts over once it reaches the end, so every
    candidate is looked at, however many there are."""
    from .services import STAFF_OWNERS, opportunities_suggest

    limit = limit or settings.CRM_SUGGESTIONS_PER_RUN
    minimum = Decimal(str(settings.CRM_SUGGESTION_MIN_SCORE))
    queryset = customers if customers is not None else cross_sell_candidates(active_days=active_days)
    after = cache.get(CURSOR_KEY, 0) if customers is None else 0
    batch = list(
        queryset.filter(pk__gt=after)
        .select_related("agent")
        .only(
            "first_name", "last_name", "date_of_birth", "address", "agent__role", "agent__is_active", "agent__team_id"
        )
        .order_by("pk")[:limit]
    )
    if customers is None:
        carry_on = batch[-1].pk if len(batch) == limit else 0
        transaction.on_commit(lambda: cache.set(CURSOR_KEY, carry_on, timeout=None))
    peers = Peers() if batch else None  # everyone's holdings, read once for the run
    made = 0
    for start in range(0, len(batch), CHUNK):
        chunk = [c for c in batch[start : start + CHUNK] if _owned(c.agent, STAFF_OWNERS)]
        made += len(opportunities_suggest(_suggestions(chunk, minimum, peers)))
    return made


def _suggestions(customers: list[Customer], minimum: Decimal, peers: Peers | None) -> list[Opportunity]:
    """The suggested deals for `customers` (unsaved): their best recommendations down to `minimum`, skipping lines
    they hold or have a deal open for, one per line, at most CRM_SUGGESTIONS_PER_CUSTOMER each."""
    ids = [customer.pk for customer in customers]
    taken: dict[int, set[str]] = {pk: set() for pk in ids}  # lines held or with a deal open
    for customer_id, code in Policy.objects.filter(customer_id__in=ids, status__in=HELD).values_list(
        "customer_id", "policy_type"
    ):
        taken[customer_id].add(code)
    for customer_id, code in Opportunity.objects.filter(customer_id__in=ids, stage__in=OPEN_STAGES).values_list(
        "customer_id", "product_line__code"
    ):
        taken[customer_id].add(code)
    recommendations = recommend_many(customers, limit=10, peers=peers)
    suggestions = []
    for customer in customers:
        chosen = 0
        for rec in recommendations[customer.pk]:
            line = rec.product.line
            if chosen >= settings.CRM_SUGGESTIONS_PER_CUSTOMER or rec.score < minimum:
                break
            if line.code in taken[customer.pk]:
                continue
            suggestions.append(
                Opportunity(
                    title=f"Suggested: {rec.product.name} for {customer.first_name} {customer.last_name}"[:200].strip(),
                    customer=customer,
                    agent=customer.agent,
                    team_id=customer.agent.team_id,
                    product_line=line,
                    value=rec.product.base_premium or Decimal("0"),
                    suggested=True,
                    suggestion_reasons=rec.reasons,
                )
            )
            taken[customer.pk].add(line.code)
            chosen += 1
    return suggestions


def _owned(agent, roles) -> bool:
    """An agent a suggestion can go to (`opportunity_create` refuses anyone else)."""
    return agent is not None and agent.is_active and agent.role in roles
