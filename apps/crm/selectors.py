"""Reads of the CRM, scoped by role: agents see their own records and their team's, managers the teams they
manage (and their own), admins everything, viewers everything read-only; customers nothing."""

from datetime import timedelta

from django.db.models import (
    DateTimeField,
    DecimalField,
    FloatField,
    IntegerField,
    Q,
    QuerySet,
    Value,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404
from django.utils import timezone

from apps.accounts.models import Team, User
from apps.accounts.roles import Role
from apps.core.exceptions import NotFound
from apps.customers.models import Customer

from .models import (
    OPEN_LEAD_STATUSES,
    OPEN_STAGES,
    OPEN_TASK_STATUSES,
    Activity,
    AgentCandidate,
    Appointment,
    CalendarConnection,
    Lead,
    LeadImport,
    LeadKind,
    LeadMerge,
    LeadStatus,
    Opportunity,
    OpportunityEvent,
    Task,
)

RENEWALS_DUE_DAYS = 30


def _team_ids(user: User) -> list[int]:
    ids = list(Team.objects.filter(manager=user).values_list("pk", flat=True))
    if user.team_id and user.team_id not in ids:
        ids.append(user.team_id)
    return ids


def _scope(qs: QuerySet, user: User, *, owner: str, team: str | None = None, pool: bool = False) -> QuerySet:
    """Rows of `qs` the user may see, by the owner field (and the record's own team field, if it has one).
    `pool`: unowned rows without a team are the managers' intake queue."""
    if user.role in (Role.ADMIN, Role.VIEWER):
        return qs
    if user.role == Role.AGENT:
        condition = Q(**{owner: user})
        if user.team_id:
            condition |= Q(**{f"{owner}__team_id": user.team_id})
            if team:
                condition |= Q(**{f"{team}_id": user.team_id})
        return qs.filter(condition)
    if user.role == Role.MANAGER:
        teams = _team_ids(user)
        condition = Q(**{owner: user}) | Q(**{f"{owner}__team_id__in": teams})
        if team:
            condition |= Q(**{f"{team}_id__in": teams})
            if pool:
                condition |= Q(**{f"{owner}__isnull": True, f"{team}__isnull": True})
        return qs.filter(condition)
    return qs.none()


# --- leads -----------------------------------------------------------------------------------------------------


def leads_visible_to(user: User, *, kind: str | None = None, merged: bool = False) -> QuerySet[Lead]:
    """`merged`: also the duplicates folded into another record (hidden from lists and screens otherwise)."""
    qs = Lead.objects.select_related("assigned_agent", "team", "product_interest", "quote__product")
    if not merged:
        qs = qs.filter(merged_at__isnull=True)
    if kind:
        qs = qs.filter(kind=kind)
    return _scope(qs, user, owner="assigned_agent", team="team", pool=True)


def lead_get_for_user(*, user: User, pk, kind: str | None = None) -> Lead:
    return get_object_or_404(leads_visible_to(user, kind=kind), pk=pk)


def client_leads_visible_to(user: User) -> QuerySet[Lead]:
    return leads_visible_to(user, kind=LeadKind.CLIENT)


def recruit_leads_visible_to(user: User) -> QuerySet[Lead]:
    return leads_visible_to(user, kind=LeadKind.RECRUIT)


def lead_merges_visible_to(user: User) -> QuerySet[LeadMerge]:
    """Merges of duplicates the user may see (by the folded lead's ownership)."""
    leads = leads_visible_to(user, merged=True).values("pk")
    return LeadMerge.objects.filter(lead__in=leads).select_related("lead", "into_lead", "into_customer", "actor")


def lead_merge_get_for_user(*, user: User, pk) -> LeadMerge:
    return get_object_or_404(lead_merges_visible_to(user), pk=pk)


def lead_imports_visible_to(user: User) -> QuerySet[LeadImport]:
    """Bulk imports: one's own; a manager's, also those of the teams they manage; an admin's, all."""
    qs = LeadImport.objects.select_related("actor")
    if user.role == Role.ADMIN:
        return qs
    if user.role == Role.MANAGER:
        return qs.filter(Q(actor=user) | Q(actor__team_id__in=_team_ids(user)))
    if user.role == Role.AGENT:
        return qs.filter(actor=user)
    return qs.none()


def lead_import_get_for_user(*, user: User, pk) -> LeadImport:
    return get_object_or_404(lead_imports_visible_to(user), pk=pk)


def lead_activities(lead: Lead) -> QuerySet[Activity]:
    return Activity.objects.filter(lead=lead).select_related("author").order_by("-occurred_at", "-id")


# --- opportunities and candidates ----------------------------------------------------------------------------------


def opportunities_visible_to(user: User) -> QuerySet[Opportunity]:
    qs = Opportunity.objects.select_related("customer", "agent", "team", "product_line", "policy", "quote__product")
    return _scope(qs, user, owner="agent", team="team")


def opportunity_get_for_user(*, user: User, pk) -> Opportunity:
    return get_object_or_404(opportunities_visible_to(user), pk=pk)


def opportunity_timeline(opportunity: Opportunity) -> QuerySet[OpportunityEvent]:
    return (
        OpportunityEvent.objects.filter(opportunity=opportunity).select_related("actor").order_by("occurred_at", "id")
    )


def candidates_visible_to(user: User) -> QuerySet[AgentCandidate]:
    qs = AgentCandidate.objects.select_related("recruiter", "team", "lead")
    return _scope(qs, user, owner="recruiter", team="team")


# --- tasks and appointments ----------------------------------------------------------------------------------------


def tasks_visible_to(user: User) -> QuerySet[Task]:
    qs = Task.objects.select_related("assignee", "created_by")
    return _scope(qs, user, owner="assignee")


def task_get_for_user(*, user: User, pk) -> Task:
    return get_object_or_404(tasks_visible_to(user), pk=pk)


def appointments_visible_to(user: User) -> QuerySet[Appointment]:
    qs = Appointment.objects.select_related("agent", "customer", "lead")
    return _scope(qs, user, owner="agent")


def appointment_get_for_user(*, user: User, pk) -> Appointment:
    return get_object_or_404(appointments_visible_to(user), pk=pk)


def my_day(user: User) -> tuple[list[Task], list[Appointment]]:
    """The person's open tasks due by the end of today (overdue first) and today's live appointments."""
    start = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    end = start + timedelta(days=1)
    tasks = list(
        Task.objects.filter(assignee=user, status__in=OPEN_TASK_STATUSES, due_at__lt=end).order_by("due_at", "id")[:100]
    )
    appointments = list(
        Appointment.objects.filter(agent=user, start__lt=end, end__gt=start)
        .exclude(status="Cancelled")
        .order_by("start", "id")[:100]
    )
    return tasks, appointments


def agent_calendar(agent: User, *, days_back: int = 30, days_ahead: int = 365) -> QuerySet[Appointment]:
    """What an agent's ICS feed carries: their appointments from a month ago to a year ahead."""
    now = timezone.now()
    return (
        Appointment.objects.filter(
            agent=agent, start__gte=now - timedelta(days=days_back), start__lte=now + timedelta(days=days_ahead)
        )
        .select_related("customer")
        .order_by("start", "id")
    )


# --- agents with stats (seed 004 AgentWithStats) ---------------------------------------------------------------------


def agents_visible_to(user: User) -> QuerySet[User]:
    """Staff who sell (agents, and managers who hold a book), scoped like the rest of the CRM."""
    qs = User.objects.filter(role__in=(Role.AGENT, Role.MANAGER), is_active=True).select_related("team")
    if user.role in (Role.ADMIN, Role.VIEWER):
        return qs
    if user.role == Role.MANAGER:
        return qs.filter(Q(pk=user.pk) | Q(team_id__in=_team_ids(user)))
    if user.role == Role.AGENT:
        return qs.filter(Q(pk=user.pk) | Q(team_id=user.team_id)) if user.team_id else qs.filter(pk=user.pk)
    return qs.none()


BOOK_VIEW = "crm_agent_book_stats"  # migration 0006; refreshed by crm.agent_book_stats_refresh


def _book(column: str, field) -> Coalesce:
    # The view is keyed by agent_id (unique index): one index probe per agent on the page.
    sql = f"SELECT {column} FROM {BOOK_VIEW} b WHERE b.agent_id = accounts_user.id"  # noqa: S608 (constants only)
    return Coalesce(RawSQL(sql, [], output_field=field), Value(0), output_field=field)  # noqa: S611


def _in(values) -> str:
    return "(" + ", ".join("'" + str(v).replace("'", "''") + "'" for v in values) + ")"


# Each figure is one correlated aggregate over an owner index (index-only, the deals' value included in
# crm_opp_agent_stage_value), written once as constant SQL: built with the ORM, the twelve subqueries cost more to
# construct and compile in Python on every request (~10 ms) than PostgreSQL takes to run them (~4 ms for 20 agents).
_LEAD, _OPP, _TASK = Lead._meta.db_table, Opportunity._meta.db_table, Task._meta.db_table
_AGENT = "accounts_user.id"
# (constants only: table names, fixed statuses; the one value, the time, is a bound parameter)
AGENT_FIGURES_SQL = {
    "open_leads": (
        f"SELECT count(*) FROM {_LEAD} x WHERE x.assigned_agent_id = {_AGENT} "  # noqa: S608
        f"AND x.status IN {_in(OPEN_LEAD_STATUSES)}"
    ),
    "total_leads": f"SELECT count(*) FROM {_LEAD} x WHERE x.assigned_agent_id = {_AGENT}",  # noqa: S608
    "converted_leads": (
        f"SELECT count(*) FROM {_LEAD} x WHERE x.assigned_agent_id = {_AGENT} "  # noqa: S608
        f"AND x.status = '{LeadStatus.CONVERTED}'"
    ),
    "pipeline_value": (
        f"SELECT coalesce(sum(x.value), 0) FROM {_OPP} x WHERE x.agent_id = {_AGENT} "  # noqa: S608
        f"AND x.stage IN {_in(OPEN_STAGES)}"
    ),
    "open_opportunities": (
        f"SELECT count(*) FROM {_OPP} x WHERE x.agent_id = {_AGENT} "  # noqa: S608
        f"AND x.stage IN {_in(OPEN_STAGES)}"
    ),
    "tasks_overdue": (
        f"SELECT count(*) FROM {_TASK} x WHERE x.assignee_id = {_AGENT} "  # noqa: S608
        f"AND x.status IN {_in(OPEN_TASK_STATUSES)} AND x.due_at < %s"
    ),
    # avg() over seconds (float8), not over the interval: PostgreSQL's interval average keeps a heavier running state
    # per row, and was ~70% of this statement's time (0.4 ms per agent of 0.6)
    "avg_first_response_seconds": (
        "SELECT avg(extract(epoch FROM x.first_contacted_at - x.created_at))::float8 "  # noqa: S608
        f"FROM {_LEAD} x WHERE x.assigned_agent_id = {_AGENT} AND x.first_contacted_at IS NOT NULL"
    ),
}


def _figure(name: str, field, params=()) -> RawSQL:
    return RawSQL(AGENT_FIGURES_SQL[name], params, output_field=field)  # noqa: S611 (constants; params bound)


def agents_with_stats(user: User) -> QuerySet[User]:
    """The visible agents, each annotated with seed 004's AgentWithStats figures, in ONE SQL statement; never a
    query per agent.

    The CRM's own figures (leads, conversion, pipeline, tasks, first response) are live: correlated aggregates on
    the owner indexes (AGENT_FIGURES_SQL). The book's figures that live in other apps (premium written this calendar
    year, policies in force, renewals due within 30 days, commission this calendar month) are read from the
    `crm_agent_book_stats` materialized view, refreshed every few minutes by a beat job (`book_as_of` says when):
    aggregating thousands of policies and renewal cases per agent on every request is what made the list slow at
    scale. Sorting by a figure computes it for every visible agent; otherwise only for the page (PostgreSQL
    evaluates the subqueries after the LIMIT)."""
    money = DecimalField(max_digits=14, decimal_places=2)
    return agents_visible_to(user).annotate(
        open_leads=_figure("open_leads", IntegerField()),
        total_leads=_figure("total_leads", IntegerField()),
        converted_leads=_figure("converted_leads", IntegerField()),
        pipeline_value=_figure("pipeline_value", money),
        open_opportunities=_figure("open_opportunities", IntegerField()),
        premium_written=_book("premium_written", money),
        policies_in_force=_book("policies_in_force", IntegerField()),
        renewals_due=_book("renewals_due", IntegerField()),
        tasks_overdue=_figure("tasks_overdue", IntegerField(), (timezone.now(),)),
        avg_first_response_seconds=_figure("avg_first_response_seconds", FloatField()),
        commission_this_period=_book("commission_this_period", money),
        book_as_of=RawSQL(  # noqa: S611 (constants only)
            f"SELECT refreshed_at FROM {BOOK_VIEW} b WHERE b.agent_id = accounts_user.id",  # noqa: S608
            [],
            output_field=DateTimeField(),
        ),
    )


# --- the contact's CRM records (hook contacts.related) ----------------------------------------------------------


def _person(user: User | None) -> dict | None:
    return None if user is None else {"id": user.pk, "name": user.get_full_name(), "email": user.email}


def contact_related(customer: Customer, user: User) -> dict:
    """Activities (on the contact, its deals and the leads it came from), opportunities, tasks and appointments of
    a contact the user may see, newest first, at most 100 of each."""
    activities = (
        Activity.objects.filter(
            Q(customer=customer) | Q(opportunity__customer=customer) | Q(lead__converted_customer=customer)
        )
        .select_related("author")
        .order_by("-occurred_at", "-id")[:100]
    )
    opportunities = (
        Opportunity.objects.filter(customer=customer).select_related("agent", "product_line").order_by("-created_at")
    )[:100]
    tasks = Task.objects.filter(customer=customer).select_related("assignee").order_by("due_at", "id")[:100]
    appointments = Appointment.objects.filter(customer=customer).select_related("agent").order_by("-start")[:100]
    return {
        "activities": [
            {
                "id": a.pk,
                "kind": a.kind,
                "subject": a.subject,
                "body": a.body,
                "occurred_at": a.occurred_at.isoformat(),
                "author": _person(a.author),
                "lead_id": a.lead_id,
                "opportunity_id": a.opportunity_id,
            }
            for a in activities
        ],
        "opportunities": [
            {
                "id": o.pk,
                "title": o.title,
                "stage": o.stage,
                "value": str(o.value),
                "currency": o.currency,
                "product_line": o.product_line.code if o.product_line else None,
                "expected_close": o.expected_close.isoformat() if o.expected_close else None,
                "agent": _person(o.agent),
                "policy_id": o.policy_id,
            }
            for o in opportunities
        ],
        "tasks": [
            {
                "id": t.pk,
                "title": t.title,
                "status": t.status,
                "priority": t.priority,
                "due_at": t.due_at.isoformat() if t.due_at else None,
                "assignee": _person(t.assignee),
            }
            for t in tasks
        ],
        "appointments": [
            {
                "id": ap.pk,
                "title": ap.title,
                "start": ap.start.isoformat(),
                "end": ap.end.isoformat(),
                "status": ap.status,
                "location": ap.location,
                "agent": _person(ap.agent),
            }
            for ap in appointments
        ],
    }


# --- a lead for the unified inbox (hook messaging.lead) --------------------------------------------------------


def lead_for_messages(*, user: User, pk) -> dict | None:
    """Seed 004 GET /messages/:leadId: the lead's addresses (and the contact it became) when `user` may see it.
    A lead that exists but is not theirs is refused like a missing one (404)."""
    lead = leads_visible_to(user).filter(pk=pk).first()
    if lead is None:
        raise NotFound("No such lead, or not yours.")
    return {
        "id": lead.pk,
        "name": lead.full_name,
        "customer_id": lead.converted_customer_id,
        "phones": [lead.phone] if lead.phone else [],
        "emails": [lead.email.lower()] if lead.email else [],
    }


# --- calendar sync -----------------------------------------------------------------------------------------------


def calendar_connections_visible_to(user: User) -> QuerySet[CalendarConnection]:
    """Calendar connections (status only; tokens never leave the model): one's own, a manager's team's, all for an
    admin or a viewer (the admin's overview)."""
    return _scope(CalendarConnection.objects.select_related("agent"), user, owner="agent")
