"""Policy use-cases: issue, lifecycle transitions (explicit table), endorsements, renewal."""

from collections.abc import Iterable
from datetime import date, timedelta
from decimal import Decimal
from typing import NamedTuple

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from apps.accounts.models import Branch, User
from apps.accounts.roles import PERMISSION_MATRIX, WRITE, Role
from apps.catalog.models import Product
from apps.catalog.rating import money
from apps.catalog.services import quote_compute
from apps.core.bulk import copy_insert
from apps.core.events import publish, role_group, user_group
from apps.core.exceptions import Conflict
from apps.core.sequences import sequence_next_values
from apps.core.workflow import Transition, Workflow
from apps.customers.models import Customer

from .models import (
    POLICY_NUMBER_SEQUENCE,
    Endorsement,
    EndorsementKind,
    Policy,
    PolicyOrigin,
    PolicyStatus,
    PolicyTransition,
    Vehicle,
)
from .selectors import PolicyRef, policy_refs_by_number
from .vin import VinError, decode_vin

S = PolicyStatus
# Policies are worked by the roles with write access to the `policies` module; reinstating is a manager's.
STAFF = PERMISSION_MATRIX["policies"][WRITE]
MANAGERS = frozenset({Role.ADMIN, Role.MANAGER})
# Each action as its past participle, for messages ("cannot be cancelled"); a test checks every action has one.
DONE = {
    "activate": "activated",
    "cancel": "cancelled",
    "expire": "expired",
    "lapse": "lapsed",
    "reinstate": "reinstated",
    "renew": "renewed",
}


def _a(word: str) -> str:
    return "An" if word[:1] in "aeiou" else "A"


# The lifecycle, in one place: each action, the statuses it starts from, the status it ends in, and by whom.
POLICY_WORKFLOW = Workflow(
    "policy",
    [
        Transition("activate", sources={S.QUOTED}, target=S.ACTIVE, roles=STAFF),
        Transition(
            "cancel",
            sources={S.QUOTED, S.ACTIVE, S.LAPSED},
            target=S.CANCELLED,
            roles=STAFF,
            reason_required="Give the reason for the cancellation.",
        ),
        Transition("expire", sources={S.ACTIVE}, target=S.EXPIRED, roles=STAFF),
        Transition("lapse", sources={S.ACTIVE}, target=S.LAPSED, roles=STAFF),
        Transition(
            "reinstate",
            sources={S.LAPSED, S.CANCELLED},
            target=S.ACTIVE,
            roles=MANAGERS,
            denied="Only managers and administrators reinstate policies.",
        ),
        Transition("renew", sources={S.ACTIVE, S.EXPIRED}, target=S.RENEWED, roles=STAFF),
    ],
    allowed_key="allowed_actions",
    conflict_message=lambda policy, action: (
        f"{_a(policy.status)} {policy.status} policy cannot be {DONE[action]}."
        if action in DONE
        else f"{_a(policy.status)} {policy.status} policy has no action '{action}'."
    ),
)


def add_years(day: date, years: int) -> date:
    """Same day `years` later; 29 February becomes 28 February in a common year."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def _check_agent_assignment(*, actor: User, agent: User | None) -> None:
    """Policies are serviced by staff who sell: agents may assign themselves or a teammate; managers anyone."""
    if agent is None:
        return
    if not agent.is_active or agent.role not in (Role.AGENT, Role.MANAGER, Role.ADMIN):
        raise ValidationError({"agent": ["Must be an active agent, manager or administrator."]})
    if actor.role == Role.AGENT and agent.pk != actor.pk and not (actor.team_id and agent.team_id == actor.team_id):
        raise PermissionDenied("Agents can assign a policy only to themselves or a teammate.")


def policy_numbers_reserve(count: int, *, year: int | None = None) -> list[str]:
    year = year or timezone.localdate().year
    return [f"POL-{year}-{n:06d}" for n in sequence_next_values(POLICY_NUMBER_SEQUENCE, count)]


def allowed_actions(status: str) -> list[str]:
    """The actions possible from `status`, whoever asks."""
    return POLICY_WORKFLOW.moves_from(status)


def _vehicle_from(data: dict, *, on: date) -> tuple[Vehicle, dict]:
    try:
        info = decode_vin(data.get("vin", ""))
    except VinError as exc:
        raise ValidationError({"vehicle": [f"VIN: {exc}"]}) from None
    year = int(data.get("year") or info.model_year or 0)
    if not year:
        raise ValidationError({"vehicle": ["year is required (it could not be read from the VIN)."]})
    if info.model_year and abs(info.model_year - year) > 1:
        raise ValidationError({"vehicle": [f"year {year} contradicts the VIN's model year {info.model_year}."]})
    vehicle = Vehicle(
        vin=info.vin,
        registration=str(data.get("registration", "")).strip().upper(),
        make=data.get("make") or info.manufacturer or "",
        model=data.get("model", ""),
        year=year,
        value=Decimal(str(data.get("value", "0"))),
        manufacturer_decoded=info.manufacturer or "",
        added_on=on,
    )
    return vehicle, {"vehicle_value": vehicle.value, "vehicle_year": vehicle.year}


def _coverage_selections(product: Product, optional: list[str]) -> list[dict]:
    chosen = set(optional)
    return [
        {
            "code": c.code,
            "name": c.name,
            "limit": str(c.limit),
            "deductible": str(c.deductible),
            "mandatory": c.is_mandatory,
        }
        for c in product.coverages.all()
        if c.is_mandatory or c.code in chosen
    ]


def _rate(product: Product, inputs: dict, on: date):
    return quote_compute(product=product, on=on, **inputs)


def _record_transition(policy: Policy, *, from_status: str, actor: User | None, note: str = "") -> None:
    step = PolicyTransition.objects.create(
        policy=policy, from_status=from_status, to_status=policy.status, actor=actor, note=note[:500]
    )
    audience = [role_group(Role.MANAGER)]
    if policy.agent_id:
        audience.append(user_group(policy.agent_id))
    if policy.customer.user_id:
        audience.append(user_group(policy.customer.user_id))
    publish(
        "policy:status_changed",
        {
            "policy_id": policy.pk,
            "policy_number": policy.policy_number,
            "from": from_status,
            "to": policy.status,
            "transition_id": step.pk,
        },
        audience=audience,
    )


@transaction.atomic
def policy_create(
    *,
    actor: User,
    customer: Customer,
    product: Product,
    start_date: date,
    end_date: date | None = None,
    payment_frequency: str = "annual",
    sum_insured: Decimal | None = None,
    coverages: list[str] | None = None,
    region: str | None = None,
    claims_count: int | None = None,
    deductible: Decimal | None = None,
    vehicle: dict | None = None,
    insured_address: dict | None = None,
    agent: User | None = None,
    branch: Branch | None = None,
    grace_period_days: int = 30,
    activate: bool = False,
    agreed_premium: Decimal | None = None,
) -> Policy:
    """Issue a policy (quoted, or active straight away) priced by the product's rating rules, or at an
    `agreed_premium` (a renewal at the insurer's amount): then it is not rated, and an auto policy may be issued
    before its vehicle is on record (the agent adds it by endorsement)."""
    end_date = end_date or (add_years(start_date, 1) - timedelta(days=1))
    sum_insured = money(Decimal(sum_insured)) if sum_insured is not None else None
    deductible = money(Decimal(deductible)) if deductible is not None else None
    if end_date <= start_date:
        raise ValidationError({"end_date": ["Must be after the start date."]})
    if not product.is_active:
        raise ValidationError({"product": ["This product is not sold any more."]})
    if customer.deleted_at is not None or customer.erased_at is not None:
        raise ValidationError({"customer": ["This customer cannot take new policies."]})
    if product.line.code == "auto" and not vehicle and agreed_premium is None:
        raise ValidationError({"vehicle": ["An auto policy needs the insured vehicle."]})
    if agreed_premium is not None and money(Decimal(agreed_premium)) <= 0:
        raise ValidationError({"premium_amount": ["Must be positive."]})
    inputs = {
        "date_of_birth": customer.date_of_birth,
        "region": region or (customer.address or {}).get("region") or None,
        "claims_count": claims_count,
        "sum_insured": sum_insured,
        "deductible": deductible,
        "coverages": coverages or [],
    }
    vehicle_obj = None
    if vehicle:
        vehicle_obj, vehicle_inputs = _vehicle_from(vehicle, on=start_date)
        inputs.update(vehicle_inputs)
    if agreed_premium is None:
        quote = _rate(product, inputs, start_date)
        premium, breakdown = quote.total, quote.lines
    else:
        premium = money(Decimal(agreed_premium))
        breakdown = [{"kind": "agreed", "label": "Agreed renewal premium", "amount": str(premium)}]
    if agent is None and actor.role == Role.AGENT:
        agent = actor
    _check_agent_assignment(actor=actor, agent=agent)
    policy = Policy(
        policy_number=policy_numbers_reserve(1, year=start_date.year)[0],
        customer=customer,
        product=product,
        policy_type=product.line.code,
        premium_amount=premium,
        currency=product.currency,
        payment_frequency=payment_frequency,
        start_date=start_date,
        end_date=end_date,
        renewal_date=end_date,
        grace_period_days=grace_period_days,
        sum_insured=sum_insured,
        coverage_selections=_coverage_selections(product, coverages or []),
        insured_address=insured_address or customer.address or {},
        rating_inputs={k: (str(v) if v is not None and not isinstance(v, list) else v) for k, v in inputs.items()},
        quote_breakdown=breakdown,
        agent=agent or customer.agent,
        branch=branch or getattr(actor, "branch", None),
    )
    policy.original_terms = policy.terms()
    # Not re-checked by a query each: the related rows passed in as loaded objects, and the number just taken
    # from its sequence (the database's foreign keys and unique index still hold).
    policy.full_clean(exclude=["original_terms", "customer", "product", "agent", "branch", "policy_number"])
    policy.save()
    if vehicle_obj is not None:
        vehicle_obj.policy = policy
        vehicle_obj.full_clean(exclude=["policy"])
        vehicle_obj.save()
    _record_transition(policy, from_status="", actor=actor, note="Issued")
    if activate:
        policy = policy_transition(policy=policy, actor=actor, action="activate", note="Issued active")
    return policy


@transaction.atomic
def policy_transition(
    *, policy: Policy, actor: User | None, action: str, note: str = "", premium: Decimal | None = None
) -> Policy:
    """Move a policy along its lifecycle; an illegal move is a 409 naming the allowed ones. `premium`: the
    next term's agreed premium when renewing (see policy_renew)."""
    if POLICY_WORKFLOW.transition(action) is None:
        raise ValidationError({"action": [f"Must be one of: {', '.join(POLICY_WORKFLOW.moves)}."]})
    policy = Policy.objects.select_for_update(of=("self",)).select_related("customer", "product").get(pk=policy.pk)
    target = POLICY_WORKFLOW.check(actor, policy, action, reason=note).target
    if action == "renew":
        if actor is None:  # the schedule lapses and expires; issuing a new term is a person's act
            raise PermissionDenied("A renewal is issued by a person, not by the schedule.")
        return policy_renew(policy=policy, actor=actor, note=note, premium=premium)
    from_status = policy.status
    policy.status = target
    if action == "cancel":
        policy.cancelled_at, policy.cancellation_reason = timezone.now(), note.strip()[:300]
    elif action == "reinstate":
        policy.cancelled_at, policy.cancellation_reason = None, ""
    policy.save()
    if action == "activate":
        Product.objects.filter(pk=policy.product_id).update(popularity=F("popularity") + 1)
    _record_transition(policy, from_status=from_status, actor=actor, note=note)
    return policy


def policy_renew(*, policy: Policy, actor: User, note: str = "", premium: Decimal | None = None) -> Policy:
    """Issue the next term (quoted) and mark this one renewed. Runs in the caller's transaction with `policy`
    locked. The next term is at `premium` when one is agreed (a renewal case's amount); without one, a policy
    rated here is re-rated with today's rules, and an imported one (the insurer rated it) keeps its premium."""
    if premium is None and policy.origin == PolicyOrigin.IMPORTED:
        premium = policy.premium_amount
    start = policy.end_date + timedelta(days=1)
    inputs = dict(policy.rating_inputs)
    vehicle = policy.vehicles.filter(removed_on__isnull=True).first()
    new = policy_create(
        actor=actor,
        customer=policy.customer,
        product=policy.product,
        start_date=start,
        payment_frequency=policy.payment_frequency,
        sum_insured=policy.sum_insured,
        coverages=[c["code"] for c in policy.coverage_selections if not c["mandatory"]],
        region=inputs.get("region"),
        claims_count=int(inputs["claims_count"]) if inputs.get("claims_count") else None,
        deductible=Decimal(inputs["deductible"]) if inputs.get("deductible") else None,
        vehicle={
            "vin": vehicle.vin,
            "registration": vehicle.registration,
            "make": vehicle.make,
            "model": vehicle.model,
            "year": vehicle.year,
            "value": str(vehicle.value),
        }
        if vehicle
        else None,
        insured_address=policy.insured_address,
        agent=policy.agent,
        branch=policy.branch,
        grace_period_days=policy.grace_period_days,
        agreed_premium=premium,
    )
    Policy.objects.filter(pk=new.pk).update(renewed_from=policy)
    from_status = policy.status
    policy.status = PolicyStatus.RENEWED
    policy.save(update_fields=["status", "updated_at"])
    _record_transition(policy, from_status=from_status, actor=actor, note=note or f"Renewed as {new.policy_number}")
    return policy


@transaction.atomic
def policy_update(*, policy: Policy, actor: User, **changes) -> Policy:
    """Servicing fields only (agent, branch, grace period, payment frequency); terms change by endorsement."""
    allowed = {"agent", "branch", "grace_period_days", "payment_frequency"}
    refused = set(changes) - allowed
    if refused:
        raise ValidationError(
            {
                name: ["Change the terms with an endorsement (POST /policies/{id}/endorsements)."]
                for name in sorted(refused)
            }
        )
    policy = Policy.objects.select_for_update().get(pk=policy.pk)
    if "agent" in changes:
        _check_agent_assignment(actor=actor, agent=changes["agent"])
    if (
        "payment_frequency" in changes
        and changes["payment_frequency"] != policy.payment_frequency
        and (policy.status != PolicyStatus.QUOTED)
    ):
        raise ValidationError({"payment_frequency": ["The schedule is set once the policy is active."]})
    for name, value in changes.items():
        setattr(policy, name, value)
    policy.full_clean()
    policy.save()
    return policy


@transaction.atomic
def endorsement_create(
    *,
    policy: Policy,
    actor: User,
    kind: str,
    effective_date: date,
    reason: str = "",
    sum_insured: Decimal | None = None,
    coverages: list[str] | None = None,
    vehicle: dict | None = None,
    insured_address: dict | None = None,
) -> Endorsement:
    """A mid-term change: re-rate with the new terms, pro-rate the premium difference over the rest of the term,
    append an immutable Endorsement and bring the policy's current terms up to date. Concurrent endorsements of
    one policy serialise on the policy row."""
    policy = Policy.objects.select_for_update(of=("self",)).select_related("product", "customer").get(pk=policy.pk)
    if policy.status != PolicyStatus.ACTIVE:
        raise Conflict(
            f"Only active policies take endorsements (this one is {policy.status}).", details={"status": policy.status}
        )
    if not policy.start_date <= effective_date <= policy.end_date:
        raise ValidationError({"effective_date": [f"Must be within the term {policy.start_date} – {policy.end_date}."]})
    last = policy.endorsements.order_by("-sequence").first()
    if last is not None and effective_date < last.effective_date:
        raise ValidationError({"effective_date": [f"Cannot precede the last endorsement ({last.effective_date})."]})
    inputs = dict(policy.rating_inputs)
    changes: dict = {}
    new_vehicle = None
    if kind == EndorsementKind.SUM_INSURED:
        if sum_insured is None:
            raise ValidationError({"sum_insured": ["Required for this endorsement."]})
        sum_insured = money(Decimal(sum_insured))
        changes["sum_insured"] = {"from": policy.terms()["sum_insured"], "to": str(sum_insured)}
        inputs["sum_insured"] = str(sum_insured)
    elif kind == EndorsementKind.COVERAGE:
        if coverages is None:
            raise ValidationError({"coverages": ["Required for this endorsement."]})
        changes["coverage_selections"] = {
            "from": policy.coverage_selections,
            "to": _coverage_selections(policy.product, coverages),
        }
        inputs["coverages"] = sorted(coverages)
    elif kind == EndorsementKind.VEHICLE:
        if not vehicle:
            raise ValidationError({"vehicle": ["Required for this endorsement."]})
        new_vehicle, vehicle_inputs = _vehicle_from(vehicle, on=effective_date)
        current = policy.vehicles.filter(removed_on__isnull=True).first()
        changes["vehicle"] = {"from": current.vin if current else None, "to": new_vehicle.vin}
        inputs.update({k: str(v) for k, v in vehicle_inputs.items()})
    elif kind == EndorsementKind.ADDRESS:
        if not insured_address:
            raise ValidationError({"insured_address": ["Required for this endorsement."]})
        changes["insured_address"] = {"from": policy.insured_address, "to": insured_address}
    else:
        raise ValidationError({"kind": [f"Must be one of: {', '.join(EndorsementKind.values)}."]})

    rate_inputs = {
        k: v
        for k, v in inputs.items()
        if k
        in {
            "date_of_birth",
            "region",
            "claims_count",
            "sum_insured",
            "deductible",
            "coverages",
            "vehicle_value",
            "vehicle_year",
        }
    }
    for key in ("sum_insured", "deductible", "vehicle_value"):
        if rate_inputs.get(key) not in (None, ""):
            rate_inputs[key] = Decimal(str(rate_inputs[key]))
    for key in ("claims_count", "vehicle_year"):
        if rate_inputs.get(key) not in (None, ""):
            rate_inputs[key] = int(rate_inputs[key])
    if rate_inputs.get("date_of_birth"):
        rate_inputs["date_of_birth"] = date.fromisoformat(str(rate_inputs["date_of_birth"]))
    new_annual = _rate(policy.product, rate_inputs, policy.start_date).total
    before = policy.premium_amount
    term_days = (policy.end_date - policy.start_date).days + 1
    remaining_days = (policy.end_date - effective_date).days + 1
    delta = money((new_annual - before) * Decimal(remaining_days) / Decimal(term_days))
    if new_annual != before:
        changes["premium_amount"] = {"from": str(before), "to": str(new_annual)}

    new_inputs = {k: (str(v) if v is not None and not isinstance(v, list) else v) for k, v in inputs.items()}
    if new_inputs != policy.rating_inputs:
        changes["rating_inputs"] = {"from": policy.rating_inputs, "to": new_inputs}
    endorsement = Endorsement.objects.create(
        policy=policy,
        sequence=policy.version,
        kind=kind,
        effective_date=effective_date,
        changes=changes,
        annual_premium_before=before,
        annual_premium_after=new_annual,
        premium_delta=delta,
        reason=reason[:500],
        created_by=actor,
    )
    # Bring the current terms (a cache of original + endorsements) up to date.
    policy.premium_amount = new_annual
    policy.rating_inputs = new_inputs
    if "sum_insured" in changes:
        policy.sum_insured = sum_insured
    if "coverage_selections" in changes:
        policy.coverage_selections = changes["coverage_selections"]["to"]
    if "insured_address" in changes:
        policy.insured_address = insured_address
    policy.version += 1
    policy.save()
    if new_vehicle is not None:
        policy.vehicles.filter(removed_on__isnull=True).update(removed_on=effective_date)
        new_vehicle.policy = policy
        new_vehicle.full_clean()
        new_vehicle.save()
    publish(
        "policy:endorsed",
        {
            "policy_id": policy.pk,
            "endorsement_id": endorsement.pk,
            "endorsement": endorsement.sequence,
            "premium_delta": str(delta),
        },
        audience=[user_group(policy.agent_id)] if policy.agent_id else [role_group(Role.MANAGER)],
    )
    return endorsement


def policy_terms_as_of(policy: Policy, on: date) -> dict:
    """Rebuild the terms in force on `on` from the terms at issue plus the endorsements effective by then."""
    terms = dict(policy.original_terms)
    for endorsement in policy.endorsements.filter(effective_date__lte=on).order_by("sequence"):
        for name, change in endorsement.changes.items():
            if name == "vehicle":
                continue
            terms[name] = change["to"]
    return terms


# --- bulk import ------------------------------------------------------------------------------------------------


class PolicyRecord(NamedTuple):
    """A policy in force that an insurer wrote, as its renewal sheet describes it: the term ends the day before
    `renewal_date` and began a year before that, at `premium_amount`, on the line's first active product."""

    policy_number: str
    customer_id: int
    policy_type: str
    premium_amount: Decimal
    renewal_date: date
    agent_id: int | None = None


POLICY_IMPORTED = "policy:imported"
_IMPORT_FIELDS = (
    "policy_number",
    "customer",
    "product",
    "policy_type",
    "status",
    "origin",
    "premium_amount",
    "currency",
    "start_date",
    "end_date",
    "renewal_date",
    "agent",
)


@transaction.atomic
def policies_import_bulk(*, policies: Iterable[PolicyRecord], source: str = "") -> dict[str, PolicyRef]:
    """Record policies in force from an import, by COPY (no model instances): policy number -> PolicyRef for every
    number given. A number that already exists is left as it is (the first record of a number wins inside one
    call; a concurrent import of the same number inserts it once). They are `active` and `imported`: billing does
    not bill a term we did not issue.

    One `policy:imported` event for the whole call (after commit), carrying the ids inserted and `source` (for
    instance "renewal-batch:12"); nothing is published when nothing was inserted.
    """
    records: dict[str, PolicyRecord] = {}
    for record in policies:
        records.setdefault(record.policy_number, record)
    if not records:
        return {}
    products: dict[str, tuple[int, str]] = {}
    for line in {r.policy_type for r in records.values()}:
        product = Product.objects.filter(is_active=True, line__code=line).order_by("id").values_list("pk", "currency")
        found = product.first()
        if found is None:
            raise ValidationError({"policy_type": [f"No active product for the line '{line}'."]})
        products[line] = found
    inserted = copy_insert(
        Policy,
        _IMPORT_FIELDS,
        (
            (
                r.policy_number,
                r.customer_id,
                products[r.policy_type][0],
                r.policy_type,
                PolicyStatus.ACTIVE,
                PolicyOrigin.IMPORTED,
                r.premium_amount,
                products[r.policy_type][1],
                r.renewal_date - timedelta(days=365),
                r.renewal_date - timedelta(days=1),
                r.renewal_date,
                r.agent_id,
            )
            for r in records.values()
        ),
        ignore_conflicts=True,
        returning=("policy_number", "pk", "status", "agent", "policy_type"),
    )
    refs = {number: PolicyRef(*rest) for number, *rest in inserted}
    if len(refs) < len(records):  # already there (an earlier run, a concurrent batch): as they are
        refs.update(policy_refs_by_number(number for number in records if number not in refs))
    if inserted:
        ids = [pk for _, pk, *_ in inserted]
        publish(POLICY_IMPORTED, {"policy_ids": ids, "count": len(ids), "source": source}, audience=[])
    return refs
