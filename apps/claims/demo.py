"""Demo claims on the demo customer's policies, one at each interesting stage of the workflow."""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from apps.accounts.models import User
from apps.policies.models import Policy

from . import services
from .models import Claim


def seed(*, stdout, options=None) -> None:
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
