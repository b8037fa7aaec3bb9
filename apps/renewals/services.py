"""Renewal case use-cases: open (idempotent per policy and period), assign (round robin under a cap), work the
case through its lifecycle, escalate; scheduled jobs that open due cases, remind customers and lapse."""

import logging
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, OuterRef, Q
from django.template.loader import render_to_string
from django.utils import timezone

from apps.accounts.models import User
from apps.accounts.roles import PERMISSION_MATRIX, WRITE, Role
from apps.billing.models import Payment
from apps.billing.services import customer_policy_balance
from apps.catalog.rating import money
from apps.core.bulk import copy_insert
from apps.core.events import publish, publish_many, role_group, user_group
from apps.core.exceptions import Conflict
from apps.core.sequences import sequence_next_values
from apps.core.workflow import Transition, Workflow
from apps.customers.contact import (
    Message,
    customer_contact_channels,
    customer_in_quiet_hours,
    customer_message_send,
)
from apps.policies.models import Policy, PolicyStatus
from apps.policies.services import policy_transition

from .models import CASE_NUMBER_SEQUENCE, OPEN_STATUSES, CaseEvent, CaseStatus, PaymentStatus, Priority, RenewalCase

S = CaseStatus
# Cases are worked by the roles with write access to `cases`; lapsing by hand is a manager's (the schedule lapses
# after the grace period). A case's moves are named by the status they reach.
STAFF = PERMISSION_MATRIX["cases"][WRITE]
MANAGERS = frozenset({Role.ADMIN, Role.MANAGER})
CASE_WORKFLOW = Workflow(
    "case",
    [
        Transition(S.IN_PROGRESS, sources={S.NEW}, target=S.IN_PROGRESS, roles=STAFF),
        Transition(S.RENEWED, sources={S.NEW, S.IN_PROGRESS}, target=S.RENEWED, roles=STAFF),
        Transition(S.NOT_TAKEN, sources={S.NEW, S.IN_PROGRESS}, target=S.NOT_TAKEN, roles=STAFF),
        Transition(
            S.LAPSED,
            sources={S.NEW, S.IN_PROGRESS},
            target=S.LAPSED,
            roles=MANAGERS,
            denied="Lapsing is done by the schedule after the grace period, or by a manager.",
        ),
        Transition(S.FAILED, sources={S.NEW, S.IN_PROGRESS}, target=S.FAILED, roles=STAFF),
        Transition(S.NEW, sources={S.FAILED}, target=S.NEW, roles=STAFF),
    ],
    conflict_message=lambda case, status: f"A {case.status} case cannot become {status}.",
)
REMINDER_DAYS = (60, 30, 14, 7)
AMOUNT_CHANGED = "Renewal amount changed"

logger = logging.getLogger(__name__)


def case_numbers_reserve(count: int, *, year: int | None = None) -> list[str]:
    year = year or timezone.localdate().year
    return [f"REN-{year}-{n:06d}" for n in sequence_next_values(CASE_NUMBER_SEQUENCE, count)]


def _event(case: RenewalCase, action: str, *, actor: User | None = None, details: str = "", key: str = "") -> bool:
    """Append to the timeline; with a `key`, only once (False if it was already there)."""
    try:
        with transaction.atomic():
            CaseEvent.objects.create(case=case, action=action, actor=actor, details=details[:2000], key=key)
    except IntegrityError:
        return False
    return True


def _notify(case: RenewalCase, name: str, data: dict) -> None:
    audience = [role_group(Role.MANAGER)]
    if case.assigned_to_id:
        audience.append(user_group(case.assigned_to_id))
    publish(name, {"case_id": case.pk, "case_number": case.case_number, **data}, audience=audience)


class RoundRobin:
    """The assignment rule with the open-case counts read once and carried in memory: the policy's servicing team's
    active agent with the fewest open cases, under RENEWAL_AGENT_OPEN_CASE_CAP, ties to the lowest id (a policy
    whose agent has no team: that agent, if active and under the cap). Each pick counts the new case, so picking
    for N cases in a row gives exactly what N single openings in that order would."""

    def __init__(self, agent_ids=()):
        self.team_of: dict[int, int | None] = {}  # any policy agent (any role) -> their team
        self.members: dict[int, list[int]] = {}  # team -> its active agents
        self.open_cases: dict[int, int] = {}  # active agent -> open cases
        self.remember(agent_ids)

    def remember(self, agent_ids) -> None:
        """Read the teams of these policy agents, and the members and open-case counts of those teams (once)."""
        missing = {pk for pk in agent_ids if pk is not None and pk not in self.team_of}
        if not missing:
            return
        self.team_of.update(User.objects.filter(pk__in=missing).values_list("pk", "team_id"))
        teams: set[int] = {t for pk in missing if (t := self.team_of.get(pk))} - self.members.keys()
        loners = {pk for pk in missing if self.team_of.get(pk) is None}
        active = User.objects.filter(role=Role.AGENT, is_active=True)
        new_agents: set[int] = set()
        for pk, team_id in active.filter(Q(team_id__in=teams) | Q(pk__in=loners, team__isnull=True)).values_list(
            "pk", "team_id"
        ):
            if team_id is not None:
                self.members.setdefault(team_id, []).append(pk)
            new_agents.add(pk)
        for team in teams:
            self.members.setdefault(team, [])
        new_agents -= self.open_cases.keys()
        if new_agents:
            # one index-only pass over (assigned_to, status) per agent, not a join over the whole case table
            counts = dict(
                RenewalCase.objects.filter(assigned_to__in=new_agents, status__in=OPEN_STATUSES)
                .values("assigned_to")
                .annotate(n=Count("pk"))
                .values_list("assigned_to", "n")
            )
            for pk in new_agents:
                self.open_cases[pk] = counts.get(pk, 0)

    def pick(self, agent_id: int | None) -> int | None:
        if agent_id is None:
            return None
        self.remember([agent_id])
        team_id = self.team_of.get(agent_id)
        candidates = self.members.get(team_id, []) if team_id else [agent_id]
        cap = settings.RENEWAL_AGENT_OPEN_CASE_CAP
        eligible = [(self.open_cases[pk], pk) for pk in candidates if pk in self.open_cases]
        eligible = [(n, pk) for n, pk in eligible if n < cap]
        if not eligible:
            return None
        _, chosen = min(eligible)
        self.open_cases[chosen] += 1
        return chosen


def pick_assignee(policy: Policy) -> User | None:
    """Round robin inside the servicing team: the active agent with the fewest open cases, under the cap."""
    chosen = RoundRobin([policy.agent_id]).pick(policy.agent_id)
    return User.objects.get(pk=chosen) if chosen else None


@transaction.atomic
def renewal_case_open(
    *, policy: Policy, actor: User | None = None, priority: str = Priority.MEDIUM, source: str = "schedule"
) -> tuple[RenewalCase, bool]:
    """The case for the policy's coming renewal; (case, created). Never two for one period."""
    period = policy.renewal_date or policy.end_date
    existing = RenewalCase.objects.filter(policy=policy, renewal_period=period).first()
    if existing is not None:
        return existing, False
    case = RenewalCase(
        case_number=case_numbers_reserve(1)[0],
        policy=policy,
        renewal_period=period,
        priority=priority,
        renewal_amount=policy.premium_amount,
        assigned_to=pick_assignee(policy),
    )
    try:
        with transaction.atomic():
            case.save()
    except IntegrityError:  # a concurrent run opened it first
        return RenewalCase.objects.get(policy=policy, renewal_period=period), False
    _event(case, "Case created", actor=actor, details=f"Opened by {source}")
    if case.assigned_to is not None:
        _event(case, "Assigned", details=f"Round robin to {case.assigned_to.get_full_name()}")
    _notify(case, "case:assigned" if case.assigned_to_id else "case:created", {})
    return case, True


@transaction.atomic
def renewal_case_update(
    *,
    case: RenewalCase,
    actor: User,
    status: str | None = None,
    payment_status: str | None = None,
    payment_method: str | None = None,
    payment_date=None,
    notes: str | None = None,
    priority: str | None = None,
    record_contact: bool = False,
    renewal_amount: Decimal | None = None,
) -> RenewalCase:
    """Work a case (seed 003 PUT /cases/:id). Status moves follow CASE_WORKFLOW; renewing issues the next term
    at the case's renewal amount (its premium is booked by billing) and closes the old one as renewed. The
    amount may be corrected while the case is open, before (or in the same request as) renewing."""
    case = RenewalCase.objects.select_for_update(of=("self",)).select_related("policy").get(pk=case.pk)
    if actor.role == Role.AGENT and case.assigned_to_id not in (None, actor.pk):
        raise PermissionDenied("This case is assigned to someone else.")
    changes = []
    if renewal_amount is not None and money(Decimal(renewal_amount)) != case.renewal_amount:
        renewal_amount = money(Decimal(renewal_amount))
        if renewal_amount <= 0:
            raise ValidationError({"renewal_amount": ["Must be positive."]})
        if case.status not in OPEN_STATUSES:
            raise Conflict(f"The case is {case.status}; its renewal amount can no longer change.")
        _event(
            case,
            AMOUNT_CHANGED,
            actor=actor,
            details=f"{case.renewal_amount} → {renewal_amount} {case.policy.currency}",
        )
        changes.append(f"renewal amount {case.renewal_amount} → {renewal_amount}")
        case.renewal_amount = renewal_amount
    if status and status != case.status:
        CASE_WORKFLOW.check(actor, case, status)
        if status == S.RENEWED:
            _renew(case, actor)
        elif status == S.LAPSED and case.policy.status == PolicyStatus.ACTIVE:
            policy_transition(policy=case.policy, actor=actor, action="lapse", note=f"Case {case.case_number}")
        changes.append(f"status {case.status} → {status}")
        case.status = status
    if payment_status and payment_status != case.payment_status:
        changes.append(f"payment {case.payment_status} → {payment_status}")
        case.payment_status = payment_status
    for name, value in (("payment_method", payment_method), ("payment_date", payment_date), ("priority", priority)):
        if value is not None:
            setattr(case, name, value)
    if notes:
        case.notes = f"{case.notes}\n{notes}".strip() if case.notes else notes
    if record_contact:
        case.communication_attempts += 1
        case.last_contact_date = timezone.now()
    case.full_clean()
    case.save()
    _event(case, "Updated", actor=actor, details="; ".join(changes + ([notes] if notes else [])))
    _notify(case, "case:updated", {"status": case.status})
    return case


def _renew(case: RenewalCase, actor: User) -> None:
    """Next term issued at the case's renewal amount when the case carries one (the insurer's, from the sheet,
    or the agent's); otherwise a policy rated here is re-rated. Then activated (billing books the renewal
    premium) and the old term closed."""
    policy = case.policy
    if policy.status not in (PolicyStatus.ACTIVE, PolicyStatus.EXPIRED):
        raise Conflict(f"The policy is {policy.status}; it cannot be renewed.")
    premium = case.renewal_amount if _carries_amount(case) else None
    policy_transition(policy=policy, actor=actor, action="renew", note=f"Case {case.case_number}", premium=premium)
    new_term = Policy.objects.get(renewed_from=policy)
    policy_transition(policy=new_term, actor=actor, action="activate", note=f"Renewal of {policy.policy_number}")
    case.renewed_policy = new_term
    case.renewal_amount = new_term.premium_amount


def _carries_amount(case: RenewalCase) -> bool:
    """A stated amount: from a spreadsheet, or set by someone on the case. A case the schedule opened only
    shows the current premium until then."""
    return case.batch_id is not None or case.timeline_events.filter(action=AMOUNT_CHANGED).exists()


@transaction.atomic
def renewal_case_assign(*, case: RenewalCase, actor: User, assignee: User, notes: str = "") -> RenewalCase:
    """Managers assign anyone in reach; agents may take an unassigned case for themselves."""
    if not assignee.is_active or assignee.role not in (Role.AGENT, Role.MANAGER):
        raise ValidationError({"assigned_to": ["Must be an active agent or manager."]})
    case = RenewalCase.objects.select_for_update(of=("self",)).get(pk=case.pk)
    if actor.role == Role.AGENT and not (assignee.pk == actor.pk and case.assigned_to_id is None):
        raise PermissionDenied("Agents can only take unassigned cases for themselves.")
    if case.status not in OPEN_STATUSES:
        raise Conflict(f"The case is {case.status}.")
    case.assigned_to = assignee
    case.save()
    _event(case, "Assigned", actor=actor, details=f"To {assignee.get_full_name()}. {notes}".strip())
    _notify(case, "case:assigned", {"assigned_to": assignee.pk})
    return case


@transaction.atomic
def renewal_case_escalate(
    *, case: RenewalCase, actor: User, escalated_to: User, reason: str, priority: str = Priority.URGENT
) -> RenewalCase:
    """Hand a case up (to a manager or admin) with a reason; priority rises."""
    if escalated_to.role not in (Role.MANAGER, Role.ADMIN) or not escalated_to.is_active:
        raise ValidationError({"escalated_to": ["Escalate to an active manager or administrator."]})
    if not reason.strip():
        raise ValidationError({"reason": ["Say why."]})
    case = RenewalCase.objects.select_for_update(of=("self",)).get(pk=case.pk)
    if actor.role == Role.AGENT and case.assigned_to_id != actor.pk:
        raise PermissionDenied("Only the case's assignee or a manager escalates it.")
    if case.status not in OPEN_STATUSES:
        raise Conflict(f"The case is {case.status}.")
    case.escalated_to, case.escalation_reason, case.escalated_at = escalated_to, reason.strip(), timezone.now()
    case.priority = priority
    case.save()
    _event(case, "Escalated", actor=actor, details=f"To {escalated_to.get_full_name()}: {reason}")
    publish(
        "case:escalated",
        {"case_id": case.pk, "case_number": case.case_number, "reason": reason, "escalated_to": escalated_to.pk},
        audience=[user_group(escalated_to.pk), role_group(Role.MANAGER)],
    )
    return case


@transaction.atomic
def renewal_case_work(
    *,
    case: RenewalCase,
    actor: User,
    changes: dict | None = None,
    notes: str | None = None,
    assignee: User | None = None,
    escalated_to: User | None = None,
    escalation_reason: str = "",
) -> RenewalCase:
    """One save of the case workbench: field changes and a note, an assignment, an escalation — all or nothing,
    so a refusal in a late step (an escalation the actor may not make) leaves the earlier ones unsaved."""
    if changes or notes:
        case = renewal_case_update(case=case, actor=actor, notes=notes, **(changes or {}))
    if assignee is not None:
        case = renewal_case_assign(case=case, actor=actor, assignee=assignee)
    if escalated_to is not None:
        case = renewal_case_escalate(case=case, actor=actor, escalated_to=escalated_to, reason=escalation_reason)
    return case


@transaction.atomic
def renewal_case_payment_apply(*, payment_id: int) -> RenewalCase | None:
    """A payment on the term a case renewed into: the case shows it paid (completed once nothing is outstanding on
    that term, partial before), with the payment's date and method, on its timeline. Once per payment."""
    payment = Payment.objects.filter(pk=payment_id, status=Payment.Status.SUCCEEDED).first()
    if payment is None:
        return None
    case = (
        RenewalCase.objects.select_for_update(of=("self",))
        .select_related("renewed_policy")
        .filter(renewed_policy_id=payment.policy_id)
        .first()
    )
    if case is None or case.renewed_policy is None:
        return None
    key = f"payment:{payment.pk}"
    if case.timeline_events.filter(key=key).exists():
        return case
    outstanding = customer_policy_balance(case.renewed_policy)
    status = PaymentStatus.COMPLETED if outstanding <= 0 else PaymentStatus.PARTIAL
    previous = case.payment_status
    case.payment_status, case.payment_method, case.payment_date = status, payment.method, payment.paid_at
    case.save(update_fields=["payment_status", "payment_method", "payment_date", "updated_at"])
    _event(
        case,
        "Payment received",
        actor=payment.recorded_by,
        details=f"{payment.amount} {payment.currency} by {payment.get_method_display().lower()} on "
        f"{timezone.localtime(payment.paid_at):%d %b %Y}; payment {previous} → {status}"
        + (f" ({outstanding} {payment.currency} outstanding)" if outstanding > 0 else ""),
        key=key,
    )
    _notify(case, "case:updated", {"status": case.status})
    return case


# --- scheduled jobs (celery beat; each idempotent) ----------------------------------------------------------


OPEN_DUE_CHUNK = 5000


def renewal_cases_open_due(*, today: date | None = None) -> int:
    """Open cases for active policies renewing within RENEWAL_CASE_LEAD_DAYS. Returns how many were opened.

    Set-based: the due policies are read in one query (in the book's order, as the cases' numbers and the round
    robin follow it), assigned by `RoundRobin` (counts read once), and each chunk's cases and timeline lines are
    written by COPY in one transaction. A crash leaves whole chunks; the next run opens the rest, and a case that
    a concurrent run (or an upload) opened first is skipped by the (policy, period) constraint. Each case opened
    publishes its `case:created` / `case:assigned` as a single opening does."""
    today = today or timezone.localdate()
    horizon = today + timedelta(days=settings.RENEWAL_CASE_LEAD_DAYS)
    due = list(
        Policy.objects.filter(status=PolicyStatus.ACTIVE, renewal_date__lte=horizon, renewal_date__gte=today)
        .exclude(renewal_cases__renewal_period__gte=today)
        .values_list("pk", "agent_id", "renewal_date", "end_date", "premium_amount", "policy_type")
    )
    if not due:
        return 0
    robin = RoundRobin({row[1] for row in due})
    names = {user.pk: user.get_full_name() for user in User.objects.filter(pk__in=robin.open_cases)}
    opened = 0
    for start in range(0, len(due), OPEN_DUE_CHUNK):
        opened += _open_due_chunk(due[start : start + OPEN_DUE_CHUNK], robin, names)
    return opened


@transaction.atomic
def _open_due_chunk(rows: list[tuple], robin: RoundRobin, names: dict[int, str]) -> int:
    numbers = case_numbers_reserve(len(rows))
    rank = RenewalCase.rank_of(Priority.MEDIUM)
    planned = [
        (number, pk, policy_type, renewal_date or end_date, Priority.MEDIUM, rank, premium, robin.pick(agent_id))
        for number, (pk, agent_id, renewal_date, end_date, premium, policy_type) in zip(numbers, rows, strict=True)
    ]
    fields = ["case_number", "policy", "policy_type", "renewal_period", "priority", "priority_rank"]
    inserted = copy_insert(
        RenewalCase,
        [*fields, "renewal_amount", "assigned_to"],
        planned,
        ignore_conflicts=True,
        returning=("pk", "case_number", "assigned_to"),
    )
    if len(inserted) < len(planned):  # opened meanwhile by someone else: their round-robin count is not ours
        kept = {number for _, number, _ in inserted}
        for number, *_, assignee in planned:
            if number not in kept and assignee is not None:
                robin.open_cases[assignee] -= 1
    order = {number: i for i, (number, *_) in enumerate(planned)}
    inserted.sort(key=lambda row: order[row[1]])  # the order they were planned (and numbered) in
    copy_insert(
        CaseEvent,
        ["case", "action", "details"],
        [(pk, "Case created", "Opened by schedule") for pk, _, _ in inserted],
    )
    copy_insert(
        CaseEvent,
        ["case", "action", "details"],
        [(pk, "Assigned", f"Round robin to {names.get(a, '')}") for pk, _, a in inserted if a is not None],
    )
    managers = role_group(Role.MANAGER)
    publish_many(
        ("case:assigned", {"case_id": pk, "case_number": number}, [managers, user_group(assignee)])
        if assignee is not None
        else ("case:created", {"case_id": pk, "case_number": number}, [managers])
        for pk, number, assignee in inserted
    )
    return len(inserted)


def renewal_reminders_send(*, today: date | None = None) -> int:
    """Remind customers 60/30/14/7 days before expiry, once each, on the channel they chose and consented to,
    outside their quiet hours (skipped ones are tried on the next run). Returns how many were sent.

    Set-based: per reminder day, one query for the open cases not yet reminded (with policy and customer), the
    consent gate asked for the whole batch (`customer_contact_channels`: one query per channel), the timeline lines
    written by COPY (the (case, key) constraint keeps each reminder once, even against a concurrent run), and the
    customers' notifications published together."""
    today = today or timezone.localdate()
    now = timezone.now()
    sent = 0
    for days in REMINDER_DAYS:
        key = f"reminder:{days}"
        cases = list(
            RenewalCase.objects.filter(status__in=OPEN_STATUSES, policy__end_date=today + timedelta(days=days))
            .exclude(Exists(CaseEvent.objects.filter(case=OuterRef("pk"), key=key)))
            .select_related("policy", "policy__customer", "policy__product")
            .order_by("pk")
        )
        if cases:
            sent += _reminders_send(cases, days, now)
    return sent


@transaction.atomic
def _reminders_send(cases: list[RenewalCase], days: int, now) -> int:
    key = f"reminder:{days}"
    channels = customer_contact_channels([case.policy.customer for case in cases], now=now)
    reachable = {
        case.pk: (case, channel)
        for case in cases
        if (channel := channels.get(case.policy.customer_id)) is not None
        and not customer_in_quiet_hours(case.policy.customer, now=now)
    }
    if not reachable:
        return 0
    inserted = copy_insert(
        CaseEvent,
        ["case", "action", "details", "key"],
        [(pk, f"Reminder {days} days", f"By {channel}", key) for pk, (_, channel) in reachable.items()],
        ignore_conflicts=True,
        returning=("case",),
    )
    done = sorted(pk for (pk,) in inserted)
    notices: list[tuple[str, dict, list[str]]] = []
    for pk in done:
        case, channel = reachable[pk]
        customer, policy = case.policy.customer, case.policy
        context = {"customer": customer, "policy": policy, "days": days, "case": case}
        customer_message_send(
            customer=customer,
            message=Message(
                subject=f"Your policy {policy.policy_number} renews in {days} days",
                body=render_to_string("emails/renewal_reminder.txt", context),
            ),
            now=now,
            channel=channel,
        )
        if customer.user_id:
            # the customer hears of it once, as the notification
            notices.append(
                ("case:reminder_sent", {"case_id": pk, "policy_number": policy.policy_number, "days": days}, [])
            )
    publish_many(notices)
    return len(done)


def renewal_lapse_overdue(*, today: date | None = None, actor: User | None = None) -> int:
    """Policies past their end date plus grace period, not renewed: the policy lapses and its open case too."""
    today = today or timezone.localdate()
    lapsed = 0
    for policy in Policy.objects.filter(status=PolicyStatus.ACTIVE, end_date__lt=today).select_related("customer"):
        if policy.end_date + timedelta(days=policy.grace_period_days) >= today:
            continue
        try:
            with transaction.atomic():
                policy_transition(
                    policy=policy,
                    actor=actor or _system_user(),  # None (no admin yet) is a system move
                    action="lapse",
                    note="Grace period over without renewal",
                )
                for case in RenewalCase.objects.select_for_update().filter(policy=policy, status__in=OPEN_STATUSES):
                    case.status = S.LAPSED
                    case.save()
                    _event(case, "Lapsed", details="Grace period over", key="lapsed")
        except Exception:  # one policy that cannot lapse (changed meanwhile, bad data) must not stop the rest
            logger.exception("Could not lapse policy %s", policy.policy_number)
            continue
        lapsed += 1
    return lapsed


def _system_user() -> User | None:
    return User.objects.filter(role=Role.ADMIN, is_active=True).order_by("id").first()
