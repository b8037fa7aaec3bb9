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
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from apps.catalog.models import ProductLine
from apps.customers.models import Customer, Interaction
from apps.policies.models import Policy
from apps.policies.recommendations import HELD, Signal, line_patterns, mentioned_lines, recommend

from .models import OPEN_STAGES, Activity, Opportunity, OpportunityStage

OPEN_DEAL_POINTS = Decimal("1.0")
DECLINED_POINTS = Decimal("-3.0")
ACTIVITY_POINTS = Decimal("0.75")


def _day(moment) -> str:
    return f"{timezone.localtime(moment):%d %b %Y}"


def relationship_signals(*, customer: Customer, since: datetime) -> list[Signal]:
    """The `recommendations.relationship` provider (see the module docstring). Three queries."""
    signals: list[Signal] = []
    declined_since = timezone.now() - timedelta(days=settings.CRM_DECLINED_QUIET_DAYS)
    deals = (
        Opportunity.objects.filter(customer=customer, product_line__isnull=False)
        .filter(Q(stage__in=OPEN_STAGES) | Q(stage=OpportunityStage.LOST, closed_at__gte=declined_since))
        .exclude(suggested=True, stage=OpportunityStage.NEW)
        .select_related("product_line")
        .order_by("-updated_at")[:50]
    )
    for deal in deals:
        name = deal.product_line.name.lower()
        if deal.stage == OpportunityStage.LOST:
            signals.append(
                Signal(
                    DECLINED_POINTS,
                    f"You decided against {name} cover on {_day(deal.closed_at)}.",
                    "crm.declined",
                    line=deal.product_line.code,
                    at=deal.closed_at,
                )
            )
        else:
            signals.append(
                Signal(
                    OPEN_DEAL_POINTS,
                    f"Your agent is preparing a {name} offer with you.",
                    "crm.opportunity",
                    line=deal.product_line.code,
                    at=deal.updated_at,
                )
            )
    lines = list(ProductLine.objects.all())
    patterns, names = line_patterns(lines), {line.code: line.name.lower() for line in lines}
    activities = (
        Activity.objects.filter(Q(customer=customer) | Q(opportunity__customer=customer), occurred_at__gte=since)
        .only("kind", "subject", "body", "occurred_at")
        .order_by("-occurred_at")[:200]
    )
    for activity in activities:
        for code in mentioned_lines(f"{activity.subject}\n{activity.body}", patterns):
            signals.append(
                Signal(
                    ACTIVITY_POINTS,
                    f"You discussed {names[code]} cover with your agent on {_day(activity.occurred_at)}.",
                    "crm.activity",
                    line=code,
                    at=activity.occurred_at,
                )
            )
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


def cross_sell_suggest(*, customers=None, active_days: int = 7, limit: int | None = None) -> int:
    """Suggest to each customer's agent the cross-sell gaps the recommendations find: a line the customer holds
    nothing in, scoring at least CRM_SUGGESTION_MIN_SCORE, with no deal for it open — at most
    CRM_SUGGESTIONS_PER_CUSTOMER per customer, as opportunities in stage New marked `suggested`, with the reasons.
    Idempotent: an open suggestion for the same customer and line is never made twice (a unique index). Answers
    the suggestions made."""
    from .services import opportunity_create

    limit = limit or settings.CRM_SUGGESTIONS_PER_RUN
    minimum = Decimal(str(settings.CRM_SUGGESTION_MIN_SCORE))
    queryset = customers if customers is not None else cross_sell_candidates(active_days=active_days)
    made = 0
    for customer in queryset.select_related("agent__team").order_by("pk")[:limit]:
        held_lines = set(
            Policy.objects.filter(customer=customer, status__in=HELD).values_list("policy_type", flat=True)
        )
        open_lines = set(
            Opportunity.objects.filter(customer=customer, stage__in=OPEN_STAGES).values_list(
                "product_line__code", flat=True
            )
        )
        chosen = 0
        for rec in recommend(customer, limit=10):
            line = rec.product.line
            if chosen >= settings.CRM_SUGGESTIONS_PER_CUSTOMER or rec.score < minimum:
                break
            if line.code in held_lines or line.code in open_lines:
                continue
            try:
                with transaction.atomic():
                    opportunity_create(
                        actor=None,
                        customer=customer,
                        title=f"Suggested: {rec.product.name} for {customer.first_name} {customer.last_name}"[:200],
                        agent=customer.agent,
                        product_line=line,
                        value=rec.product.base_premium,
                        suggestion_reasons=rec.reasons,
                    )
            except IntegrityError:  # suggested concurrently: the index keeps one
                continue
            open_lines.add(line.code)
            chosen += 1
            made += 1
    return made
