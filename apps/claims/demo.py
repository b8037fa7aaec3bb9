"""Demo claims on the demo customer's policies, one at each interesting stage of the workflow."""

from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from apps.accounts.models import User
from apps.policies.models import Policy

from . import services
from .models import Claim


def seed(*, stdout, options=None) -> None:
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
