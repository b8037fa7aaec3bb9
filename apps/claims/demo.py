"""Demo claims: the demo customer's three (new, in assessment, paid), the living book's claims in every workflow
state (assessments with sections and estimates, payments) told through the services, and `--claims N` in bulk."""

import random
from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from apps.accounts.models import User
from apps.policies.models import Policy

from . import assessments, services
from .models import Claim, ClaimStatus

# The book's claims: how many end in each state (every state of the workflow has some).
BOOK_CLAIMS = {
    ClaimStatus.SUBMITTED: 3,
    ClaimStatus.TRIAGE: 3,
    ClaimStatus.ASSESSMENT: 4,
    ClaimStatus.APPROVED: 2,
    ClaimStatus.REJECTED: 2,
    ClaimStatus.SETTLEMENT: 2,
    ClaimStatus.PAID: 2,
    ClaimStatus.CLOSED: 4,
    ClaimStatus.WITHDRAWN: 2,
    ClaimStatus.REOPENED: 1,
}
STORIES = {
    "collision": "Rear-ended at a roundabout; bumper and tail lights damaged.",
    "glass": "A stone cracked the windscreen on the motorway.",
    "theft": "Stolen from the street overnight; police report filed.",
    "vandalism": "Side mirrors broken and paint keyed in a car park.",
    "breakdown": "Engine failure on the way to work; towed to a garage.",
    "third_party_liability": "Reversed into a parked van; the van's owner is claiming.",
    "fire": "A pan caught fire in the kitchen; cabinets and ceiling smoke-damaged.",
    "flood": "The ground floor flooded after the river burst its banks.",
    "storm": "Roof tiles blown off in the storm; rain came into the attic.",
    "escape_of_water": "A burst pipe under the sink soaked the kitchen floor.",
    "accidental_damage": "The television was knocked off its stand.",
    "hospitalisation": "Three nights in hospital after appendicitis.",
    "outpatient": "Physiotherapy sessions after a sprained knee.",
    "dental": "A root canal and a crown.",
}
PLACES = ["Lisboa", "Porto", "Braga", "Coimbra", "Faro", "A1 near Santarém", "IC19, Sintra", "Aveiro"]


def seed(*, stdout, options=None) -> None:
    book_claims_file(stdout=stdout)
    wanted = int((options or {}).get("claims") or 0)
    existing = Claim.objects.count()
    if wanted > existing:
        claims_bulk_generate(count=wanted - existing, stdout=stdout)
    customer_user = User.objects.filter(email="customer@example.com").first()
    agent = User.objects.filter(email="agent@example.com").first()
    manager = User.objects.filter(email="manager@example.com").first()
    assessor = User.objects.filter(email="assessor@example.com").first()
    policies = {p.policy_type: p for p in Policy.objects.filter(customer__user=customer_user, status="active")}
    if (
        not (customer_user and agent and manager and assessor)
        or "auto" not in policies
        or Claim.objects.filter(customer__user=customer_user).exists()
    ):
        stdout.write("claims: nothing to do")
        return
    today = timezone.localdate()
    motor, home = policies["auto"], policies.get("home")

    fresh, _ = services.claim_file(
        actor=customer_user,
        policy=motor,
        claim_type="glass",
        claimed_amount=Decimal("380.00"),
        description="A stone cracked the windscreen on the A1.",
        incident_date=today - timedelta(days=1),
        incident_place="A1, near Santarém",
    )
    collision, _ = services.claim_file(
        actor=agent,
        policy=motor,
        claim_type="collision",
        claimed_amount=Decimal("4200.00"),
        description="Rear-ended at a roundabout; bumper, boot lid and tail lights damaged.",
        incident_date=today - timedelta(days=12),
        incident_place="Rotunda do Relógio, Lisboa",
        channel="agent",
    )
    services.claim_transition(claim=collision, actor=agent, to="triage")
    services.claim_assign(claim=collision, actor=manager, assessor=assessor)
    services.claim_reserve_set(claim=collision, actor=agent, amount=Decimal("4500.00"), reason="Repairer's first quote")
    services.claim_transition(claim=collision, actor=assessor, to="assessment")
    services.claim_communication_add(
        claim=collision,
        actor=assessor,
        stakeholder="repairer",
        channel="phone",
        direction="outbound",
        contact_name="Oficina Central",
        body="Inspection booked for Thursday 10:00; customer's car is at the garage.",
    )
    count = 2
    if home is not None:
        flood, _ = services.claim_file(
            actor=customer_user,
            policy=home,
            claim_type="escape_of_water",
            claimed_amount=Decimal("1850.00"),
            description="A burst pipe under the kitchen sink soaked the floor and a cabinet.",
            incident_date=today - timedelta(days=25),
            incident_place="Home address",
        )
        services.claim_transition(claim=flood, actor=agent, to="triage")
        services.claim_transition(claim=flood, actor=manager, to="approved", settlement_amount=Decimal("1600.00"))
        services.claim_payment_request(claim=flood, actor=agent, amount=Decimal("1600.00"), payee_name="Chris Customer")
        count += 1
    stdout.write(f"claims: {count} demo claims ({fresh.claim_number} new, one in assessment, one paid)")


def _book_claim(kind, *, policy, cover, rng, agent, manager, assessor, today):
    """File one claim and move it through the workflow, as the people who would, until it is in `kind`."""
    claim_type = rng.choice(cover.perils)
    last = min(policy.end_date, today)
    incident = last - timedelta(days=rng.randint(1, max(1, min(60, (last - policy.start_date).days))))
    amount = Decimal(rng.randrange(300, 6000)).quantize(Decimal("1.00"))
    claim, _ = services.claim_file(
        actor=agent,
        policy=policy,
        claim_type=claim_type,
        claimed_amount=amount,
        description=STORIES.get(claim_type, "Damage reported by the customer."),
        incident_date=incident,
        incident_place=rng.choice(PLACES),
        channel=rng.choice(["agent", "phone", "portal"]),
    )
    if kind == ClaimStatus.SUBMITTED:
        return claim
    if kind == ClaimStatus.WITHDRAWN:
        return services.claim_transition(claim=claim, actor=agent, to=kind, note="The customer repaired it privately")
    claim = services.claim_transition(claim=claim, actor=agent, to=ClaimStatus.TRIAGE)
    if kind == ClaimStatus.TRIAGE:
        return claim
    if kind == ClaimStatus.ASSESSMENT:
        services.claim_assign(claim=claim, actor=manager, assessor=assessor)
        services.claim_reserve_set(claim=claim, actor=agent, amount=amount, reason="First estimate")
        claim = services.claim_transition(claim=claim, actor=assessor, to=ClaimStatus.ASSESSMENT)
        assessment = assessments.assessment_create(claim=claim, actor=assessor, inspection_place="Repairer's yard")
        for area, severity in (("exterior_rear", rng.randint(3, 8)), ("glass", rng.randint(0, 4))):
            assessments.assessment_section_update(
                assessment=assessment,
                actor=assessor,
                area=area,
                findings="Damage consistent with the reported incident.",
                severity=severity,
                complete=True,
            )
        assessments.estimate_create(
            assessment=assessment,
            actor=assessor,
            source="repairer",
            repairer_name="Oficina Central",
            reference=f"ORC-{claim.pk:05d}",
            labour_rate=Decimal("42.00"),
            lines=[
                {"kind": "part", "description": "Rear bumper", "quantity": 1, "unit_price": Decimal("410.00")},
                {"kind": "labour", "description": "Fit and align", "hours": Decimal("3.5")},
                {"kind": "paint", "description": "Paint rear panel", "unit_price": Decimal("180.00")},
            ],
        )
        return claim
    if kind in (ClaimStatus.REJECTED, ClaimStatus.REOPENED):
        claim = services.claim_transition(
            claim=claim, actor=manager, to=ClaimStatus.REJECTED, note="The loss happened before the cover started"
        )
        if kind == ClaimStatus.REOPENED:
            claim = services.claim_transition(
                claim=claim, actor=manager, to=kind, note="The customer sent the repair invoice with the right date"
            )
        return claim
    settlement = min(amount * Decimal("0.9"), claim.coverage_limit).quantize(Decimal("1.00"))
    claim = services.claim_transition(claim=claim, actor=manager, to=ClaimStatus.APPROVED, settlement_amount=settlement)
    if kind == ClaimStatus.APPROVED:
        return claim
    payee = f"{claim.customer.first_name} {claim.customer.last_name}"
    first = settlement if kind != ClaimStatus.SETTLEMENT else (settlement / 2).quantize(Decimal("1.00"))
    services.claim_payment_request(claim=claim, actor=manager, amount=first, payee_name=payee)
    claim.refresh_from_db()
    if kind == ClaimStatus.SETTLEMENT:
        return claim
    claim = services.claim_transition(claim=claim, actor=agent, to=ClaimStatus.PAID)
    if kind == ClaimStatus.CLOSED:
        claim = services.claim_transition(claim=claim, actor=agent, to=ClaimStatus.CLOSED)
    return claim


def book_claims_file(*, stdout) -> int:
    """The book's claims on the service-issued active policies of its customers, spread over agents, with the
    team's manager approving and the assessors assessing. Skipped when the book already has its claims."""
    from apps.catalog.models import Coverage
    from apps.policies.models import PolicyStatus

    if Claim.objects.filter(customer__user__isnull=True).exclude(description="Generated claim").exists():
        return 0
    managers = list(User.objects.filter(role="manager", is_active=True).order_by("email"))
    assessors = list(User.objects.filter(role="assessor", is_active=True).order_by("email"))
    covers = {}
    for cover in Coverage.objects.exclude(perils=[]).order_by("is_mandatory"):
        covers[cover.product_id] = cover  # mandatory covers last: they win
    policies = list(
        Policy.objects.filter(
            status=PolicyStatus.ACTIVE,
            customer__user__isnull=True,
            product_id__in=list(covers),
            agent__role="agent",
            transitions__isnull=False,  # issued through the service (bulk policies have no transitions)
        )
        .distinct()
        .select_related("customer", "agent", "product__line")
        .order_by("pk")
    )
    if not (managers and assessors and policies):
        return 0
    motor = [p for p in policies if p.policy_type == "auto"]
    rng = random.Random(77)  # noqa: S311 (demo data)
    today, filed, n = timezone.localdate(), 0, 0
    for kind, count in BOOK_CLAIMS.items():
        for _ in range(count):
            pool = motor if kind == ClaimStatus.ASSESSMENT and motor else policies
            policy = pool[n % len(pool)]
            n += 1
            manager = next((m for m in managers if m.team_id == policy.agent.team_id), managers[0])
            _book_claim(
                kind,
                policy=policy,
                cover=covers[policy.product_id],
                rng=rng,
                agent=policy.agent,
                manager=manager,
                assessor=assessors[n % len(assessors)],
                today=today,
            )
            filed += 1
    stdout.write(f"claims: {filed} book claims filed and worked")
    return filed


def claims_bulk_generate(*, count: int, stdout) -> None:
    """Synthetic claims (with their 'filed' timeline entry, and an assessment with sections for the motor ones)
    on existing active policies, written by COPY: about 50k claims in seconds for the dashboards' scale checks."""
    import random
    from datetime import timedelta

    from django.db import connection

    from apps.catalog.models import Coverage
    from apps.core.bulk import copy_insert

    from .models import Area, Assessment, AssessmentSection, ClaimEvent
    from .services import claim_numbers_reserve

    rng = random.Random(2026)  # noqa: S311 - synthetic data
    covers = {}
    for cover in Coverage.objects.exclude(perils=[]).order_by("is_mandatory"):
        covers[cover.product_id] = cover  # mandatory covers last: they win
    policies = list(
        Policy.objects.filter(status="active", product_id__in=list(covers), customer__user__isnull=True)
        .order_by("?")
        .values_list("pk", "customer_id", "product_id", "start_date", "end_date", "currency", "agent_id")[:count]
    )
    if not policies:
        stdout.write("claims: no active policies with covers to claim on")
        return
    statuses = ["submitted"] * 10 + ["triage"] * 12 + ["assessment"] * 10 + ["approved"] * 4 + ["settlement"] * 6
    statuses += ["paid"] * 4 + ["closed"] * 40 + ["rejected"] * 8 + ["withdrawn"] * 3 + ["reopened"] * 1
    today = timezone.localdate()
    now = timezone.now()
    rows = []
    numbers = claim_numbers_reserve(count)
    for i in range(count):
        pk, customer_id, product_id, start, end, currency, agent_id = policies[i % len(policies)]
        cover = covers[product_id]
        last = min(end, today)
        span = max(1, (last - start).days)
        incident = start + timedelta(days=rng.randrange(span))
        reported = min(today, incident + timedelta(days=int(rng.expovariate(1 / 4))))
        status = rng.choice(statuses)
        amount = Decimal(rng.randrange(200, 15000)).quantize(Decimal("1.00"))
        open_ = status in ("submitted", "triage", "assessment", "approved", "settlement", "reopened")
        reserve = amount if open_ and status != "submitted" else Decimal("0")
        settled = amount * Decimal("0.9") if status in ("paid", "closed", "settlement") else None
        created = now - timedelta(days=(today - reported).days, seconds=rng.randrange(86400))
        closed_at = created + timedelta(days=rng.randrange(3, 60)) if status in ("closed",) else None
        rows.append(
            (
                numbers[i],
                pk,
                customer_id,
                rng.choice(cover.perils),
                cover.code,
                cover.limit,
                cover.deductible,
                amount,
                currency,
                "Generated claim",
                incident,
                "Generated place",
                reported,
                status,
                rng.choice(["low", "medium", "medium", "high", "urgent"]),
                agent_id,
                reserve,
                settled if status in ("paid", "closed") else Decimal("0"),
                settled,
                "api",
                min(closed_at, now) if closed_at else None,
                created,
                created,
            )
        )
    fields = [
        "claim_number",
        "policy",
        "customer",
        "claim_type",
        "coverage_code",
        "coverage_limit",
        "deductible",
        "claimed_amount",
        "currency",
        "description",
        "incident_date",
        "incident_place",
        "reported_date",
        "status",
        "priority",
        "handler",
        "reserve_amount",
        "paid_amount",
        "settlement_amount",
        "channel",
        "closed_at",
        "created_at",
        "updated_at",
    ]
    with transaction.atomic():
        copy_insert(Claim, fields, rows)
        ids = dict(Claim.objects.filter(claim_number__in=numbers).values_list("claim_number", "pk"))
        copy_insert(
            ClaimEvent,
            ["claim", "action", "to_status", "note", "occurred_at"],
            ((ids[r[0]], "Claim filed", "submitted", "Generated", r[21]) for r in rows),
        )
        motor = [ids[r[0]] for r in rows if r[3] == "collision" and r[13] in ("assessment", "approved", "settlement")]
        copy_insert(
            Assessment,
            ["claim", "status", "completion_percentage", "overall_severity"],
            ((pk, "in_progress", rng.randrange(0, 101, 11), rng.randrange(0, 11)) for pk in motor),
        )
        assessment_ids = list(Assessment.objects.filter(claim_id__in=motor).values_list("pk", flat=True))
        copy_insert(
            AssessmentSection,
            ["assessment", "area", "severity", "complete"],
            ((a, area, rng.randrange(0, 11), rng.random() < 0.5) for a in assessment_ids for area in Area.values),
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE claims_claim")
    stdout.write(f"claims: {count} generated ({len(assessment_ids)} with assessments)")
