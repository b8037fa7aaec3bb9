"""The back office's home page: KPI tiles and charts per role, computed by the same dashboard functions as the
API (claims: seed 001, renewals: seed 003), each tile linking to the filtered list behind it. The page follows
the live event stream and refreshes itself (static/js/admin_dashboard_live.js)."""

import json

from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.urls import reverse

from apps.accounts.models import User
from apps.accounts.roles import Role
from apps.billing import dashboards as billing_dashboards
from apps.claims import dashboards as claims_dashboards
from apps.claims.models import OPEN_CLAIM_STATUSES, Claim
from apps.core.figures import dashboard_figure
from apps.core.formatting import format_count, format_money
from apps.renewals import dashboards as renewal_dashboards
from apps.renewals.models import OPEN_STATUSES, RenewalCase
from apps.support import selectors as support_selectors


def _tile(title, value, href, note="", *, currency=""):
    """A tile's figure as people read it: `€12,400.00` for money, `1,204` for a count."""
    shown = format_money(value, currency) if currency else format_count(value)
    return {"title": title, "value": shown, "href": href, "note": note}


def _bar(labels, datasets) -> str:
    return json.dumps({"labels": labels, "datasets": datasets})


def dashboard_callback(request, context):
    user = request.user
    if not user.is_authenticated or user.role == Role.CUSTOMER:
        return context
    claims_url = reverse("admin:claims_claim_changelist")
    cases_url = reverse("admin:renewals_renewalcase_changelist")
    tiles, charts = [], []
    if user.can("claims"):
        kpi = claims_dashboards.dashboard_kpi(user=user, period="month")
        overview = claims_dashboards.dashboard_claims(user=user)
        tiles += [
            _tile("Open claims", kpi["openClaims"], f"{claims_url}?status__in=" + ",".join(OPEN_CLAIM_STATUSES)),
            _tile("New this month", kpi["newClaims"], f"{claims_url}?o=-1"),
            _tile(
                "Waiting for triage over SLA",
                kpi["slaBreaches"]["triage"],
                f"{claims_url}?age=2d",
                "reported over 2 days ago, still submitted",
            ),
            _tile("Fraud review queue", kpi["fraudReviewQueue"], f"{claims_url}?fraud_review__exact=pending"),
            _tile("Outstanding reserve", kpi["reserveOutstanding"], claims_url, "open claims", currency="EUR"),
            _tile(
                "Paid this month", kpi["paidInPeriod"], reverse("admin:claims_claimpayment_changelist"), currency="EUR"
            ),
        ]
        statuses = [s for s, n in overview["byStatus"].items() if n]
        charts.append(
            {
                "title": "Claims by status",
                "data": _bar(
                    [s.replace("_", " ") for s in statuses],
                    [{"label": "Claims", "data": [overview["byStatus"][s] for s in statuses]}],
                ),
            }
        )
        ages = overview["openByAge"]
        charts.append(
            {
                "title": "Open claims by age (days since reported)",
                "data": _bar(list(ages), [{"label": "Open claims", "data": list(ages.values())}]),
            }
        )
    if user.can("cases"):
        period = renewal_dashboards.Period.from_params("month", None, None)
        stats = renewal_dashboards.dashboard_stats(user=user, period=period)
        tiles += [
            _tile("Renewals to work", stats["pendingAction"] + stats["inProgress"], f"{cases_url}?status__exact=new"),
            _tile("Renewed this month", stats["renewed"], f"{cases_url}?status__exact=renewed"),
            _tile("Renewal premium collected", stats["paymentCollected"], cases_url, currency="EUR"),
            _tile("Renewal premium pending", stats["paymentPending"], cases_url, currency="EUR"),
        ]
        charts.append(
            {
                "title": "Renewal funnel (cases opened this month)",
                "data": _bar(
                    ["Opened", "In progress", "Renewed"],
                    [{"label": "Cases", "data": [stats["totalCases"], stats["inProgress"], stats["renewed"]]}],
                ),
            }
        )
    if user.can("billing"):
        arrears = billing_dashboards.dashboard_arrears(user=user)
        policies_url = reverse("admin:policies_policy_changelist")
        amounts = sorted(arrears["amount_overdue"].items())
        currency, amount = amounts[0] if amounts else ("EUR", 0)
        others = ", ".join(format_money(a, c) for c, a in amounts[1:])
        tiles += [
            _tile(
                "Policies in arrears",
                arrears["policies_in_arrears"],
                f"{policies_url}?arrears=yes",
                f"{arrears['overdue_instalments']} overdue instalment(s)",
            ),
            _tile(
                "Amount overdue",
                amount,
                f"{policies_url}?arrears=yes",
                f"past due, unpaid; also {others}" if others else "past due, unpaid",
                currency=currency,
            ),
            _tile(
                "Lapsed for non-payment",
                arrears["lapsed_for_non_payment"],
                f"{policies_url}?status__exact=lapsed&arrears=yes",
            ),
        ]
    if user.can("assessments") and user.role == Role.ASSESSOR:
        progress = claims_dashboards.dashboard_assessments(user=user)
        tiles += [
            _tile(
                "Inspections overdue",
                progress["overdueInspections"],
                reverse("admin:claims_assessment_changelist") + "?status__exact=scheduled",
            ),
            _tile(
                "Assessments in progress",
                progress["byStatus"]["in_progress"],
                reverse("admin:claims_assessment_changelist") + "?status__exact=in_progress",
            ),
        ]
    if user.can("support"):
        tiles.append(
            _tile(
                "Tickets past their SLA",
                tickets_past_sla(user=user),
                reverse("admin:support_ticket_changelist") + "?sla_state=breached&status__exact=open",
                "active tickets whose target was missed",
            )
        )
    if user.role in (Role.MANAGER, Role.ADMIN):
        overdue = training_overdue(user=user)
        tiles.append(
            _tile(
                "Required training overdue",
                len(overdue),
                reverse("admin:support_trainingmodule_changelist"),
                f"{len({r['user_id'] for r in overdue})} person(s) in your teams"
                if overdue
                else "everyone is up to date",
            )
        )
    workload = team_workload(user=user) if user.role in (Role.MANAGER, Role.ADMIN) else []
    context.update(
        {
            "kpi_tiles": tiles,
            "kpi_charts": charts,
            "workload": workload,
            "claims_url": claims_url,
            "cases_url": cases_url,
            "has_claims": has_claims(user=user),
        }
    )
    return context


# The home's own figures, cached like the dashboards' (apps.core.figures: per user and short-lived, recomputed as
# soon as a domain event moves the business), so a home page is the tiles' cached answers plus rendering.


@dashboard_figure
def tickets_past_sla(*, user) -> int:
    """Active tickets the user sees that missed an SLA target (computed in SQL from each ticket's history)."""
    breached = (
        support_selectors.with_sla_state(support_selectors.tickets_visible_to(user))
        .filter(sla_state="breached")
        .exclude(status__in=("resolved", "closed"))
    )
    return breached.count()


@dashboard_figure
def training_overdue(*, user) -> list[dict]:
    return support_selectors.training_overdue(user)


@dashboard_figure
def has_claims(*, user) -> bool:
    return Claim.objects.exists()


@dashboard_figure
def team_workload(*, user) -> list[dict]:
    """The agents of a manager's team (every agent for an admin) with their open cases and claims, busiest first:
    two correlated counts, each answered from an (assignee, status) index, not one join of both tables."""
    team = User.objects.filter(role=Role.AGENT, is_active=True)
    if user.role == Role.MANAGER and user.team_id:
        team = team.filter(team_id=user.team_id)
    open_cases = (
        RenewalCase.objects.filter(assigned_to=OuterRef("pk"), status__in=OPEN_STATUSES)
        .order_by()
        .values("assigned_to")
        .annotate(n=Count("*"))
        .values("n")
    )
    open_claims = (
        Claim.objects.filter(handler=OuterRef("pk"), status__in=OPEN_CLAIM_STATUSES)
        .order_by()
        .values("handler")
        .annotate(n=Count("*"))
        .values("n")
    )
    return list(
        team.annotate(open_cases=Coalesce(Subquery(open_cases), 0), open_claims=Coalesce(Subquery(open_claims), 0))
        .order_by("-open_claims", "-open_cases")
        .values("pk", "first_name", "last_name", "open_cases", "open_claims")[:15]
    )
