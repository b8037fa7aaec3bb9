"""Every write of the CRM: leads (create, edit, move, assign, score, convert), activities, opportunities, agent
candidates, tasks, appointments and calendar feeds. Each runs in one transaction and publishes its seed 004
event on commit."""

import secrets
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, NamedTuple

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from apps.accounts.models import Team, User
from apps.accounts.roles import Role
from apps.catalog.models import ProductLine
from apps.core.events import publish, publish_many, role_group, user_group
from apps.core.exceptions import Conflict
from apps.customers import services as customer_services
from apps.customers.models import Customer
from apps.policies.models import Policy

from . import duplicates, scoring
from .models import (
    OPEN_LEAD_STATUSES,
    OPEN_STAGES,
    Activity,
    ActivityKind,
    AgentCandidate,
    Appointment,
    AppointmentStatus,
    AssignmentStrategy,
    CalendarFeed,
    Lead,
    LeadAssignmentRule,
    LeadKind,
    LeadStatus,
    Opportunity,
    OpportunityEvent,
    OpportunityStage,
    Task,
    TaskStatus,
)
from .quotes import quote_picked_up
from .workflows import CANDIDATE_WORKFLOW, LEAD_WORKFLOW, OPPORTUNITY_WORKFLOW

STAFF_OWNERS = (Role.AGENT, Role.MANAGER, Role.ADMIN)

CLIENT_FIELDS = {"product_interest", "estimated_value"}
RECRUIT_FIELDS = {"licensed", "years_experience"}
COMMON_FIELDS = {"first_name", "last_name", "email", "phone", "city", "source", "notes"}
CONTACT_ACTIVITY_KINDS = (ActivityKind.CALL, ActivityKind.EMAIL, ActivityKind.SMS, ActivityKind.MEETING)


# --- who may own what ------------------------------------------------------------------------------------------


def managed_team_ids(user: User) -> list[int]:
    """The teams a manager oversees: those they lead and their own."""
    ids = list(Team.objects.filter(manager=user).values_list("pk", flat=True))
    if user.team_id and user.team_id not in ids:
        ids.append(user.team_id)
    return ids


def _check_owner(actor: User | None, owner: User | None, *, field: str) -> None:
    """An owner must be active staff who sells; agents hand work only within their team, managers within theirs."""
    if owner is None:
        return
    if owner.role not in STAFF_OWNERS or not owner.is_active:
        raise ValidationError({field: ["Must be an active agent, manager or admin."]})
    if actor is None or actor.role == Role.ADMIN or owner.pk == actor.pk:
        return
    if actor.role == Role.AGENT:
        if not actor.team_id or owner.team_id != actor.team_id:
            raise ValidationError({field: ["Agents assign only to themselves or to their own team."]})
    elif actor.role == Role.MANAGER and owner.team_id not in managed_team_ids(actor):
        raise ValidationError({field: ["Managers assign only within the teams they manage."]})


def _lead_audience(lead: Lead) -> list[str]:
    audience = [role_group(Role.MANAGER)]
    if lead.assigned_agent_id:
        audience.append(user_group(lead.assigned_agent_id))
    elif lead.team_id:
        audience += [user_group(pk) for pk in User.objects.filter(team_id=lead.team_id).values_list("pk", flat=True)]
    return audience


def _lead_published(lead: Lead, fields: list[str]) -> None:
    publish(
        "lead:updated",
        {
            "lead_id": lead.pk,
            "kind": lead.kind,
            "status": lead.status,
            "assigned_agent_id": lead.assigned_agent_id,
            "score": lead.score,
            "fields": sorted(set(fields)),
        },
        audience=_lead_audience(lead),
    )


# --- assignment ------------------------------------------------------------------------------------------------


def lead_assignee_pick(team: Team) -> User | None:
    """The next agent of `team` by its rule (least loaded unless it says round robin), under the open-lead cap.

    Least loaded: fewest open leads, then the longest-serving (lowest id). Round robin: the next agent by id
    after the last one this rule picked, the rule row locked so concurrent creates take turns."""
    agents = User.objects.filter(role=Role.AGENT, is_active=True, team=team).annotate(
        open_leads=Count("crm_leads", filter=Q(crm_leads__status__in=OPEN_LEAD_STATUSES))
    )
    agents = agents.filter(open_leads__lt=settings.CRM_AGENT_OPEN_LEAD_CAP)
    rule = LeadAssignmentRule.objects.select_for_update().filter(team=team, is_active=True).first()
    if rule is None or rule.strategy == AssignmentStrategy.LEAST_LOADED:
        return agents.order_by("open_leads", "id").first()
    after = rule.last_assigned_id or 0
    chosen = agents.filter(pk__gt=after).order_by("id").first() or agents.order_by("id").first()
    if chosen is not None:
        rule.last_assigned = chosen
        rule.save(update_fields=["last_assigned", "updated_at"])
    return chosen


# --- leads -----------------------------------------------------------------------------------------------------


def _keys(lead: Lead) -> None:
    lead.email = duplicates.normalise_email(lead.email)
    lead.email_key = lead.email
    lead.phone_key = duplicates.normalise_phone(lead.phone)


def _activity_counts(lead: Lead) -> dict[str, int]:
    if lead.pk is None:
        return {}
    rows = Activity.objects.filter(lead=lead).values("kind").annotate(n=Count("id")).order_by()
    return {row["kind"]: row["n"] for row in rows}


def lead_rescore(lead: Lead, *, save: bool = True) -> Lead:
    """Recompute the lead's score and its breakdown from the lead and its activities."""
    lead.score, lead.score_breakdown = scoring.lead_score(lead, _activity_counts(lead))
    if save and lead.pk:
        Lead.objects.filter(pk=lead.pk).update(score=lead.score, score_breakdown=lead.score_breakdown)
    return lead


def _kind_fields(kind: str, fields: dict) -> None:
    allowed = COMMON_FIELDS | (CLIENT_FIELDS if kind == LeadKind.CLIENT else RECRUIT_FIELDS)
    unknown = set(fields) - allowed - {"assigned_agent", "team"}
    if unknown:
        raise ValidationError({name: [f"Not a field of a {kind} lead."] for name in sorted(unknown)})


@transaction.atomic
def lead_create(
    *,
    actor: User | None,
    kind: str,
    first_name: str,
    assigned_agent: User | None = None,
    team: Team | None = None,
    import_key: str = "",
    **fields: Any,
) -> tuple[Lead, list[dict]]:
    """A new lead and its likely duplicates (reported, not refused: two people may share a surname).

    Ownership: an agent's own lead is theirs unless they name a teammate; otherwise the named agent, else the
    team's rule picks one (`lead_assignee_pick`); with neither, the lead waits unassigned for a manager."""
    _kind_fields(kind, fields)
    _check_owner(actor, assigned_agent, field="assigned_agent_id")
    if assigned_agent is None and team is None and actor is not None and actor.role == Role.AGENT:
        assigned_agent = actor
    if team is None and assigned_agent is not None:
        team = assigned_agent.team
    if team is not None and actor is not None and actor.role == Role.AGENT and team.pk != actor.team_id:
        raise ValidationError({"team_id": ["Agents add leads only to their own team."]})
    if team is not None and actor is not None and actor.role == Role.MANAGER and team.pk not in managed_team_ids(actor):
        raise ValidationError({"team_id": ["Managers add leads only to the teams they manage."]})
    if assigned_agent is None and team is not None:
        assigned_agent = lead_assignee_pick(team)
    lead = Lead(
        kind=kind,
        first_name=(first_name or "").strip(),
        assigned_agent=assigned_agent,
        team=team,
        created_by=actor,
        import_key=import_key,
        **fields,
    )
    lead.last_name = (lead.last_name or "").strip()
    _keys(lead)
    lead.created_at = timezone.now()
    lead_rescore(lead, save=False)
    lead.full_clean(exclude=["created_by", "search_vector"])
    found = duplicates.find_duplicates(
        first_name=lead.first_name, last_name=lead.last_name, email=lead.email, phone=lead.phone, city=lead.city
    )
    lead.save()
    _lead_published(lead, ["created"])
    return lead, [m.as_dict() for m in found]


def lead_visible_owner_check(actor: User, lead: Lead) -> None:
    """Customers and read-only roles never change leads (the API refuses them first; the admin too)."""
    if actor.role not in STAFF_OWNERS:
        raise PermissionDenied("Your role cannot change leads.")


@transaction.atomic
def lead_update(*, lead: Lead, actor: User, status: str | None = None, lost_reason: str = "", **changes: Any) -> Lead:
    """Edit a lead's details, hand it over, or move its status (through LEAD_WORKFLOW; Lost needs a reason).
    Converted is reached only through the convert endpoints, which create the contact and the deal with it."""
    lead_visible_owner_check(actor, lead)
    lead = Lead.objects.select_for_update().get(pk=lead.pk)
    _kind_fields(lead.kind, changes)
    changed = [name for name, value in changes.items() if getattr(lead, name) != value]
    if "assigned_agent" in changes:
        _check_owner(actor, changes["assigned_agent"], field="assigned_agent_id")
        if changes["assigned_agent"] is not None and "team" not in changes:
            changes["team"] = changes["assigned_agent"].team or lead.team
    if "team" in changes and changes["team"] is not None and actor.role != Role.ADMIN:
        allowed = [actor.team_id] if actor.role == Role.AGENT else managed_team_ids(actor)
        if changes["team"].pk not in allowed:
            raise ValidationError({"team_id": ["You cannot move a lead to a team you do not belong to or manage."]})
    for name, value in changes.items():
        setattr(lead, name, value)
    if status is not None and status != lead.status:
        if status == LeadStatus.CONVERTED:
            raise Conflict(
                "Convert a lead with POST /client-leads/{id}/convert or /recruit-leads/{id}/convert.",
                details={"status": lead.status, "allowed": LEAD_WORKFLOW.moves_from(lead.status)},
            )
        LEAD_WORKFLOW.check(actor, lead, status, reason=lost_reason)
        lead.status = status
        lead.lost_reason = lost_reason.strip() if status == LeadStatus.LOST else ""
        if status == LeadStatus.CONTACTED and lead.first_contacted_at is None:
            lead.first_contacted_at = timezone.now()
        changed.append("status")
        quote_picked_up(quote_id=lead.quote_id, actor=actor)
    elif lost_reason and lead.status == LeadStatus.LOST:
        lead.lost_reason = lost_reason.strip()
        changed.append("lost_reason")
    _keys(lead)
    lead_rescore(lead, save=False)
    lead.full_clean(exclude=["created_by", "search_vector"])
    lead.save()
    _lead_published(lead, changed or ["score"])
    return lead


# --- activities -------------------------------------------------------------------------------------------------


@transaction.atomic
def activity_create(
    *,
    actor: User,
    kind: str,
    subject: str = "",
    body: str = "",
    occurred_at: datetime | None = None,
    lead: Lead | None = None,
    customer: Customer | None = None,
    opportunity: Opportunity | None = None,
    candidate: AgentCandidate | None = None,
) -> Activity:
    """Log a note, call, email, SMS or meeting on one record. On a lead, the first contact stamps the response
    time and moves a New lead to Contacted, and the score is recomputed."""
    if actor.role not in STAFF_OWNERS:
        raise PermissionDenied("Your role cannot log activities.")
    if not (subject or "").strip() and not (body or "").strip():
        raise ValidationError({"body": ["Say what happened (a subject or a body)."]})
    activity = Activity(
        kind=kind,
        subject=(subject or "").strip(),
        body=body or "",
        occurred_at=occurred_at or timezone.now(),
        author=actor,
        lead=lead,
        customer=customer,
        opportunity=opportunity,
        candidate=candidate,
    )
    if activity.occurred_at > timezone.now() + timedelta(minutes=5):
        raise ValidationError({"occurred_at": ["An activity cannot happen in the future."]})
    activity.full_clean()
    activity.save()
    if lead is not None:
        locked = Lead.objects.select_for_update().get(pk=lead.pk)
        fields = ["activities", "score"]
        if locked.last_activity_at is None or activity.occurred_at > locked.last_activity_at:
            locked.last_activity_at = activity.occurred_at
        if kind in CONTACT_ACTIVITY_KINDS:
            if locked.first_contacted_at is None:
                locked.first_contacted_at = activity.occurred_at
            if locked.status == LeadStatus.NEW:
                LEAD_WORKFLOW.check(actor, locked, LeadStatus.CONTACTED)
                locked.status = LeadStatus.CONTACTED
                fields.append("status")
        lead_rescore(locked, save=False)
        locked.save(
            update_fields=["last_activity_at", "first_contacted_at", "status", "score", "score_breakdown", "updated_at"]
        )
        _lead_published(locked, fields)
        quote_picked_up(quote_id=locked.quote_id, actor=actor)
    if opportunity is not None:
        _opportunity_published(opportunity, from_stage=opportunity.stage, fields=["activities"])
        quote_picked_up(quote_id=opportunity.quote_id, actor=actor)
    return activity


# --- opportunities -----------------------------------------------------------------------------------------------


def _opportunity_event(opportunity: Opportunity, *, from_stage: str | None, fields: list[str]) -> tuple:
    audience = [role_group(Role.MANAGER)]
    if opportunity.agent_id:
        audience.append(user_group(opportunity.agent_id))
    payload = {
        "opportunity_id": opportunity.pk,
        "stage": opportunity.stage,
        "from": from_stage,
        "agent_id": opportunity.agent_id,
        "value": str(opportunity.value),
        "fields": sorted(set(fields)),
    }
    return "opportunity:updated", payload, audience


def _opportunity_published(opportunity: Opportunity, *, from_stage: str | None, fields: list[str]) -> None:
    name, payload, audience = _opportunity_event(opportunity, from_stage=from_stage, fields=fields)
    publish(name, payload, audience=audience)


@transaction.atomic
def opportunities_suggest(suggestions: list[Opportunity]) -> list[Opportunity]:
    """`opportunity_create` for many cross-sell suggestions at once (apps.crm.recommendations): one INSERT that
    skips what the `crm_opportunity_suggested_once` index already holds (an open suggestion for the customer and
    line, made by a concurrent run), their timeline entries in one more, and their `opportunity:updated` events
    delivered together on commit. Each must be `suggested`, in stage New, for an active agent (the caller checks).
    Answers the ones stored."""
    if not suggestions:
        return []
    moment = timezone.now()
    for suggestion in suggestions:
        suggestion.created_at = moment
    Opportunity.objects.bulk_create(suggestions, ignore_conflicts=True)
    # ignore_conflicts returns no keys: read this batch's rows back through the same index (they share the moment)
    stored = list(
        Opportunity.objects.filter(
            customer_id__in={s.customer_id for s in suggestions},
            suggested=True,
            stage=OpportunityStage.NEW,
            created_at=moment,
        )
        .only("agent_id", "stage", "value")
        .order_by("pk")
    )
    OpportunityEvent.objects.bulk_create(
        OpportunityEvent(opportunity=o, from_stage="", to_stage=o.stage, actor=None) for o in stored
    )
    publish_many(_opportunity_event(o, from_stage=None, fields=["created"]) for o in stored)
    return stored


@transaction.atomic
def opportunity_create(
    *,
    actor: User | None,
    customer: Customer,
    title: str,
    agent: User | None = None,
    product_line: ProductLine | None = None,
    value: Decimal = Decimal("0"),
    expected_close=None,
    lead: Lead | None = None,
    quote=None,
    suggestion_reasons: list[str] | None = None,
) -> Opportunity:
    """A deal for a contact, in stage New, owned by the given agent (else the contact's agent, else the actor).
    `quote`: the stored quote it comes from (a customer's application, or a converted lead's).
    `suggestion_reasons`: a cross-sell gap the recommendations proposed (apps.crm.recommendations), and why."""
    own = customer.agent if customer.agent is not None and customer.agent.is_active else None  # one who left: not
    agent = agent or own or (actor if actor is not None and actor.role in STAFF_OWNERS else None)
    _check_owner(actor, agent, field="agent_id")
    opportunity = Opportunity(
        title=title.strip(),
        customer=customer,
        agent=agent,
        team=agent.team if agent is not None else None,
        product_line=product_line,
        value=value or Decimal("0"),
        expected_close=expected_close,
        lead=lead,
        quote=quote,
        suggested=suggestion_reasons is not None,
        suggestion_reasons=suggestion_reasons or [],
    )
    opportunity.full_clean()
    opportunity.save()
    OpportunityEvent.objects.create(opportunity=opportunity, from_stage="", to_stage=opportunity.stage, actor=actor)
    _opportunity_published(opportunity, from_stage=None, fields=["created"])
    return opportunity


@transaction.atomic
def opportunity_update(
    *,
    opportunity: Opportunity,
    actor: User,
    stage: str | None = None,
    lost_reason: str = "",
    policy: Policy | None = None,
    **changes: Any,
) -> Opportunity:
    """Edit a deal or move it along the pipeline (OPPORTUNITY_WORKFLOW): every move on its timeline, a Lost
    deal with its reason, a Won deal with the policy it became (when known: the contact's policy)."""
    if actor.role not in STAFF_OWNERS:
        raise PermissionDenied("Your role cannot change opportunities.")
    opportunity = Opportunity.objects.select_for_update().get(pk=opportunity.pk)
    previous = opportunity.stage
    changed = [name for name, value in changes.items() if getattr(opportunity, name) != value]
    if "agent" in changes:
        _check_owner(actor, changes["agent"], field="agent_id")
        opportunity.team = changes["agent"].team if changes["agent"] is not None else None
    for name, value in changes.items():
        setattr(opportunity, name, value)
    if policy is not None:
        if policy.customer_id != opportunity.customer_id:
            raise ValidationError({"policy_id": ["That policy belongs to another contact."]})
        opportunity.policy = policy
        changed.append("policy")
    if stage is not None and stage != previous:
        OPPORTUNITY_WORKFLOW.check(actor, opportunity, stage, reason=lost_reason)
        opportunity.stage = stage
        opportunity.lost_reason = lost_reason.strip() if stage == OpportunityStage.LOST else ""
        opportunity.closed_at = timezone.now() if stage in (OpportunityStage.WON, OpportunityStage.LOST) else None
        OpportunityEvent.objects.create(
            opportunity=opportunity, from_stage=previous, to_stage=stage, actor=actor, reason=lost_reason.strip()
        )
        changed.append("stage")
        quote_picked_up(quote_id=opportunity.quote_id, actor=actor)
    elif opportunity.stage not in OPEN_STAGES and set(changed) - {"policy"}:
        raise Conflict(f"A {opportunity.stage} opportunity is closed; reopen it before editing it.")
    opportunity.full_clean()
    opportunity.save()
    _opportunity_published(opportunity, from_stage=previous, fields=changed)
    return opportunity


# --- conversion --------------------------------------------------------------------------------------------------


class Conversion(NamedTuple):
    lead: Lead
    customer: Customer
    opportunity: Opportunity
    created: bool  # False: converted before, nothing new made
    existing_contact: bool  # the contact existed before this conversion


@transaction.atomic
def client_lead_convert(
    *,
    lead: Lead,
    actor: User,
    customer: Customer | None = None,
    title: str = "",
    value: Decimal | None = None,
    expected_close=None,
) -> Conversion:
    """The lead becomes a contact and a deal, in one transaction.

    The contact is the given one, else an existing customer who is the same person (the same email or phone and
    the same name), else a new customer through the customers app. Converting again answers the first result
    (`created` False) — a retried request never makes a second contact or deal."""
    lead = Lead.objects.select_for_update(of=("self",)).select_related("converted_customer").get(pk=lead.pk)
    if lead.kind != LeadKind.CLIENT:
        raise Conflict("This is a recruit lead: convert it with POST /recruit-leads/{id}/convert.")
    if lead.status == LeadStatus.CONVERTED:
        opportunity = Opportunity.objects.filter(lead=lead).first()
        if lead.converted_customer is None or opportunity is None:
            raise Conflict("This lead was converted, but its contact or deal has since been removed.")
        return Conversion(lead, lead.converted_customer, opportunity, False, True)
    LEAD_WORKFLOW.check(actor, lead, LeadStatus.CONVERTED)
    existing = customer is not None
    if customer is None:
        customer = duplicates.same_person_contact(
            first_name=lead.first_name, last_name=lead.last_name, email=lead.email, phone=lead.phone
        )
    existing = existing or customer is not None
    if customer is None:
        details: dict[str, Any] = {"email": lead.email, "phone": lead.phone}
        if lead.city:
            details["address"] = {"city": lead.city}
        if lead.assigned_agent is not None:
            details["agent"] = lead.assigned_agent
        customer = customer_services.customer_create(
            actor=actor, first_name=lead.first_name, last_name=lead.last_name or "-", **details
        )
    line = lead.product_interest
    opportunity = opportunity_create(
        actor=actor,
        customer=customer,
        title=title or f"{line.name if line else 'Insurance'} for {lead.full_name}",
        agent=lead.assigned_agent or (actor if actor.role in STAFF_OWNERS else None),
        product_line=line,
        value=value if value is not None else (lead.estimated_value or Decimal("0")),
        expected_close=expected_close,
        lead=lead,
        quote=lead.quote if lead.quote_id and not Opportunity.objects.filter(quote_id=lead.quote_id).exists() else None,
    )
    quote_picked_up(quote_id=lead.quote_id, actor=actor)
    lead.status = LeadStatus.CONVERTED
    lead.converted_at = timezone.now()
    lead.converted_customer = customer
    lead.save(update_fields=["status", "converted_at", "converted_customer", "updated_at"])
    _lead_published(lead, ["status", "converted_customer"])
    return Conversion(lead, customer, opportunity, True, existing)


@transaction.atomic
def recruit_lead_convert(*, lead: Lead, actor: User) -> tuple[Lead, AgentCandidate, bool]:
    """The recruit becomes an agent candidate at Applied, in one transaction; again: the same candidate."""
    lead = Lead.objects.select_for_update().get(pk=lead.pk)
    if lead.kind != LeadKind.RECRUIT:
        raise Conflict("This is a client lead: convert it with POST /client-leads/{id}/convert.")
    existing = AgentCandidate.objects.filter(lead=lead).first()
    if lead.status == LeadStatus.CONVERTED and existing is not None:
        return lead, existing, False
    LEAD_WORKFLOW.check(actor, lead, LeadStatus.CONVERTED)
    candidate = AgentCandidate(
        lead=lead,
        first_name=lead.first_name,
        last_name=lead.last_name,
        email=lead.email,
        phone=lead.phone,
        licensed=lead.licensed,
        recruiter=lead.assigned_agent or actor,
        team=lead.team,
        notes=lead.notes,
    )
    candidate.full_clean()
    candidate.save()
    lead.status = LeadStatus.CONVERTED
    lead.converted_at = timezone.now()
    lead.save(update_fields=["status", "converted_at", "updated_at"])
    _lead_published(lead, ["status", "candidate"])
    return lead, candidate, True


@transaction.atomic
def candidate_move(*, candidate: AgentCandidate, actor: User, stage: str) -> AgentCandidate:
    """Move a candidate along the recruiting pipeline (CANDIDATE_WORKFLOW; contracting is a manager's call)."""
    candidate = AgentCandidate.objects.select_for_update().get(pk=candidate.pk)
    CANDIDATE_WORKFLOW.check(actor, candidate, stage)
    candidate.stage = stage
    candidate.save(update_fields=["stage", "updated_at"])
    return candidate


# --- tasks ------------------------------------------------------------------------------------------------------


def _task_published(task: Task, name: str) -> None:
    publish(
        name,
        {
            "task_id": task.pk,
            "title": task.title,
            "status": task.status,
            "assignee_id": task.assignee_id,
            "due_at": task.due_at.isoformat() if task.due_at else None,
        },
        audience=[user_group(task.assignee_id), role_group(Role.MANAGER)],
    )


@transaction.atomic
def task_create(*, actor: User, title: str, assignee: User | None = None, **fields: Any) -> Task:
    """A task for the actor or for someone in their team (managers: the teams they manage)."""
    if actor.role not in STAFF_OWNERS:
        raise PermissionDenied("Your role cannot create tasks.")
    assignee = assignee or actor
    _check_owner(actor, assignee, field="assignee_id")
    task = Task(title=title.strip(), assignee=assignee, created_by=actor, **fields)
    if task.status == TaskStatus.COMPLETED:
        task.completed_at = timezone.now()
    task.full_clean()
    task.save()
    _task_published(task, "task:created")
    return task


@transaction.atomic
def task_update(*, task: Task, actor: User, **changes: Any) -> Task:
    if actor.role not in STAFF_OWNERS:
        raise PermissionDenied("Your role cannot change tasks.")
    task = Task.objects.select_for_update().get(pk=task.pk)
    if "assignee" in changes:
        if changes["assignee"] is None:
            raise ValidationError({"assignee_id": ["A task needs an assignee."]})
        _check_owner(actor, changes["assignee"], field="assignee_id")
    for name, value in changes.items():
        setattr(task, name, value)
    if "status" in changes:
        task.completed_at = timezone.now() if task.status == TaskStatus.COMPLETED else None
    if "remind_at" in changes:
        task.reminded_at = None
    task.full_clean()
    task.save()
    _task_published(task, "task:updated")
    return task


# --- appointments -------------------------------------------------------------------------------------------------


def appointment_conflicts(*, agent: User, start: datetime, end: datetime, exclude_id: int | None = None) -> list:
    """The agent's other live appointments overlapping [start, end)."""
    qs = Appointment.objects.filter(agent=agent, start__lt=end, end__gt=start).exclude(
        status=AppointmentStatus.CANCELLED
    )
    if exclude_id:
        qs = qs.exclude(pk=exclude_id)
    return list(qs.order_by("start", "id")[:20])


def _appointment_published(appointment: Appointment, name: str) -> None:
    publish(
        name,
        {
            "appointment_id": appointment.pk,
            "title": appointment.title,
            "start": appointment.start.isoformat(),
            "end": appointment.end.isoformat(),
            "status": appointment.status,
            "agent_id": appointment.agent_id,
        },
        audience=[user_group(appointment.agent_id), role_group(Role.MANAGER)],
    )


def _check_times(start: datetime | None, end: datetime | None) -> None:
    if start is not None and end is not None and end <= start:
        raise ValidationError({"end": ["An appointment must end after it starts."]})


@transaction.atomic
def appointment_create(
    *, actor: User, title: str, start: datetime, end: datetime, agent: User | None = None, **fields: Any
) -> tuple[Appointment, list[Appointment]]:
    """Book an appointment: (appointment, the agent's overlapping ones). Overlaps are reported, not refused —
    an agent may double-book on purpose (a call during a meeting slot); the caller shows them."""
    if actor.role not in STAFF_OWNERS:
        raise PermissionDenied("Your role cannot book appointments.")
    agent = agent or actor
    _check_owner(actor, agent, field="agent_id")
    _check_times(start, end)
    appointment = Appointment(title=title.strip(), start=start, end=end, agent=agent, created_by=actor, **fields)
    appointment.full_clean()
    # Lock the agent's row so two bookings at once both see each other as conflicts.
    User.objects.select_for_update().filter(pk=agent.pk).first()
    conflicts = appointment_conflicts(agent=agent, start=start, end=end)
    appointment.save()
    _appointment_published(appointment, "appointment:created")
    _invitation(appointment, "REQUEST")
    return appointment, conflicts


INVITATION_FIELDS = ("title", "start", "end", "location", "description", "status", "customer", "lead")


def _invitation(appointment: Appointment, method: str) -> None:
    """After commit: the attendee's invitation email with its ICS (apps.crm.invitations), through the worker."""
    if not (appointment.customer_id or appointment.lead_id):
        return
    from .tasks import appointment_invitation

    pk = appointment.pk
    transaction.on_commit(lambda: appointment_invitation.delay(pk, method), robust=True)


@transaction.atomic
def appointment_update(*, appointment: Appointment, actor: User, **changes: Any) -> tuple[Appointment, list]:
    if actor.role not in STAFF_OWNERS:
        raise PermissionDenied("Your role cannot change appointments.")
    appointment = Appointment.objects.select_for_update().get(pk=appointment.pk)
    if "agent" in changes:
        _check_owner(actor, changes["agent"], field="agent_id")
    seen = [name for name in INVITATION_FIELDS if name in changes and getattr(appointment, name) != changes[name]]
    was_cancelled = appointment.status == AppointmentStatus.CANCELLED
    for name, value in changes.items():
        setattr(appointment, name, value)
    _check_times(appointment.start, appointment.end)
    if seen:
        appointment.sequence += 1
    appointment.full_clean()
    appointment.save()
    if seen and not (was_cancelled and appointment.status == AppointmentStatus.CANCELLED):
        _invitation(appointment, "CANCEL" if appointment.status == AppointmentStatus.CANCELLED else "REQUEST")
    conflicts = (
        []
        if appointment.status == AppointmentStatus.CANCELLED
        else appointment_conflicts(
            agent=appointment.agent, start=appointment.start, end=appointment.end, exclude_id=appointment.pk
        )
    )
    _appointment_published(appointment, "appointment:updated")
    return appointment, conflicts


# --- calendar feeds ------------------------------------------------------------------------------------------------


@transaction.atomic
def calendar_feed_issue(*, agent: User) -> CalendarFeed:
    """A new feed URL for the agent; any earlier URL stops working (a new nonce)."""
    if agent.role not in STAFF_OWNERS:
        raise PermissionDenied("Only staff who hold appointments have a calendar feed.")
    feed, _ = CalendarFeed.objects.select_for_update().get_or_create(agent=agent, defaults={"nonce": ""})
    feed.nonce = secrets.token_hex(16)
    feed.revoked_at = None
    feed.save()
    return feed


@transaction.atomic
def calendar_feed_revoke(*, agent: User) -> None:
    CalendarFeed.objects.filter(agent=agent, revoked_at__isnull=True).update(
        revoked_at=timezone.now(), updated_at=timezone.now()
    )


# --- agents' book figures (GET /agents) ------------------------------------------------------------------------


def agent_book_stats_refresh() -> int:
    """Recompute every agent's book figures from policies, renewals and commissions (the `crm_agent_book_stats`
    materialized view, migration 0006), without blocking readers (CONCURRENTLY: the old rows answer until the
    new ones are in). One set-based statement; safe to run at any time and twice. Answers the agents counted."""
    from django.db import connection

    from .selectors import BOOK_VIEW

    with connection.cursor() as cursor:
        cursor.execute(f"REFRESH MATERIALIZED VIEW CONCURRENTLY {BOOK_VIEW}")
        cursor.execute(f"SELECT count(*) FROM {BOOK_VIEW}")  # noqa: S608 (a constant)
        return cursor.fetchone()[0]


# --- task reminders (beat) -----------------------------------------------------------------------------------------


def task_reminders_send(*, now: datetime | None = None, limit: int = 1000) -> int:
    """Remind each open task's assignee when its `remind_at` comes: an in-app notification, pushed live, and an
    email when the assignee's notification preferences want reminders by email (held through their quiet hours by
    the notifications app). Exactly once per reminder time: rows are claimed under a lock (`skip_locked`, so two
    workers never take the same task), stamped `reminded_at`, and the notification carries a dedupe key of the
    task and its reminder time (a retried run adds nothing; a task given a new reminder time is reminded again).

    The consent gate is not involved: the reminder goes to our own staff, never to the lead or contact the task
    is about. Answers the reminders sent."""
    from apps.notifications.models import NotificationType
    from apps.notifications.services import notify

    now = now or timezone.now()
    sent = 0
    with transaction.atomic():
        tasks = list(
            Task.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(
                remind_at__lte=now, reminded_at__isnull=True, status__in=(TaskStatus.PENDING, TaskStatus.IN_PROGRESS)
            )
            .select_related("assignee")
            .order_by("remind_at", "id")[:limit]
        )
        for task in tasks:
            due = timezone.localtime(task.due_at).strftime("%d %b %H:%M") if task.due_at else "no due time"
            created = notify(
                user=task.assignee,
                kind=NotificationType.REMINDER,
                event="task:reminder",
                title=f"Reminder: {task.title}"[:255],
                message=f"Due {due}." + (f" {task.description[:200]}" if task.description else ""),
                data={"task_id": task.pk, "due_at": task.due_at.isoformat() if task.due_at else None},
                link=f"/admin/crm/task/{task.pk}/change/",
                dedupe_key=f"crm-task-reminder:{task.pk}:{task.remind_at.isoformat() if task.remind_at else ''}",
            )
            sent += created is not None
        Task.objects.filter(pk__in=[t.pk for t in tasks]).update(reminded_at=now, updated_at=now)
    return sent
