"""Demo service desk: SLA policies per priority (a complaint's own, tighter), the help centre's FAQs and knowledge
resources for each audience, saved replies, and the demo customer's requests in several states — one with an
internal note the customer never sees."""

from django.conf import settings
from django.db import transaction

from apps.accounts.models import Team, User
from apps.customers.models import Customer

from . import services
from .models import Faq, FaqCategory, KnowledgeResource, Macro, SlaPolicy, Ticket

# priority -> (first response, next reply, resolution) in business minutes
SLA = {"urgent": (30, 60, 240), "high": (60, 120, 960), "medium": (240, 480, 2400), "low": (480, 960, 4800)}

FAQS = {
    ("Policies", "policies"): [
        ("When does my cover start?", "Your cover starts on the start date shown on your policy, at 00:00."),
        ("How do I change my address?", "Sign in, open your profile and edit the address; your policy follows."),
        ("Can I add a driver to my motor policy?", "Yes: ask us through Contact us; the premium may change."),
    ],
    ("Claims", "claims"): [
        ("How do I file a claim?", "Open Claims in your account, choose the policy and describe what happened."),
        ("What documents does a motor claim need?", "Photos of the damage, the police report if any, and a quote."),
        ("How long does a claim take?", "Most claims are decided within 10 working days of the last document."),
    ],
    ("Payments", "payments"): [
        ("How can I pay my premium?", "By card with Pay now in your account, or by bank transfer."),
        ("What happens if I miss a payment?", "We remind you; after the grace period the policy lapses."),
        ("Do I earn loyalty points?", "One point per €10 paid on time; redeem them against your premium."),
    ],
}

RESOURCES = [
    (
        "Motor claims: what to do at the scene",
        "public",
        "claims",
        ["motor", "claims"],
        "Make the scene safe, call the police if anyone is hurt, take photos, exchange details.",
    ),
    (
        "Your policy documents explained",
        "customers",
        "policies",
        ["policy"],
        "Your schedule lists who and what is covered; the wording says how.",
    ),
    (
        "Handling a complaint (internal procedure)",
        "staff",
        "procedures",
        ["complaint", "procedure"],
        "Acknowledge within one working day, escalate to the team manager, log the root cause.",
    ),
]

MACROS = {
    "Acknowledge": "Hello {{customer_first_name}},\n\nThank you for your message about {{ticket_number}}. We are "
    "looking into it and will come back to you shortly.\n\n{{agent_name}}",
    "Ask for documents": "Hello {{customer_first_name}},\n\nTo continue with {{subject}}, could you send us a photo of "
    "the document? You can attach it to your reply.\n\n{{agent_name}}",
}


def seed(*, stdout, options=None) -> None:
    with transaction.atomic():
        for priority, (first, nxt, resolution) in SLA.items():
            SlaPolicy.objects.get_or_create(
                priority=priority,
                category="",
                is_active=True,
                defaults={
                    "name": f"{priority.capitalize()} requests",
                    "first_response_minutes": first,
                    "next_reply_minutes": nxt,
                    "resolution_minutes": resolution,
                },
            )
        SlaPolicy.objects.get_or_create(
            priority="medium",
            category="complaint",
            is_active=True,
            defaults={
                "name": "Complaints",
                "first_response_minutes": 120,
                "next_reply_minutes": 240,
                "resolution_minutes": 1200,
            },
        )
        manager = User.objects.filter(email="manager@example.com").first()
        Team.objects.get_or_create(name=settings.SUPPORT_DEFAULT_TEAM, defaults={"manager": manager})
        for position, ((name, slug), entries) in enumerate(FAQS.items()):
            category, _ = FaqCategory.objects.get_or_create(slug=slug, defaults={"name": name, "position": position})
            for i, (question, answer) in enumerate(entries):
                Faq.objects.get_or_create(
                    question=question, defaults={"category": category, "answer": answer, "position": i}
                )
        author = User.objects.filter(email="agent@example.com").first()
        for title, audience, category, tags, body in RESOURCES:
            KnowledgeResource.objects.get_or_create(
                title=title,
                defaults={"audience": audience, "category": category, "tags": tags, "body": body, "author": author},
            )
        for name, body in MACROS.items():
            Macro.objects.get_or_create(name=name, defaults={"body": body})
    tickets = _demo_tickets()
    stdout.write(
        f"support: SLA policies, {Faq.objects.count()} FAQs, {KnowledgeResource.objects.count()} resources, "
        f"{tickets} demo ticket(s)"
    )


def _demo_tickets() -> int:
    customer = Customer.objects.filter(user__email="customer@example.com").select_related("user").first()
    agent = User.objects.filter(email="agent@example.com").first()
    if customer is None or agent is None or customer.user is None or Ticket.objects.filter(customer=customer).exists():
        return 0
    account = customer.user
    with transaction.atomic():
        first = services.ticket_open(
            actor=account,
            customer=customer,
            subject="Adding my son as a driver",
            description="My son passed his test. Can he drive my car on my policy?",
            category="policy",
        )
        services.ticket_message_add(
            ticket=first, actor=agent, internal=True, body="Young driver: check the rating rule before quoting."
        )
        services.ticket_message_add(
            ticket=first, actor=agent, body="Yes, he can be added. Could you send us his licence number?"
        )
        services.ticket_update(ticket=first, actor=agent, status="pending_customer")
        second = services.ticket_open(
            actor=account,
            customer=customer,
            subject="Receipt for my last payment",
            description="Could you send me a receipt for my last instalment?",
            category="billing",
        )
        services.ticket_message_add(ticket=second, actor=agent, body="Your receipt is in Payments in your account.")
        services.ticket_update(ticket=second, actor=agent, status="resolved")
        services.ticket_open(
            actor=account,
            customer=customer,
            subject="Website shows the wrong address",
            description="My profile still shows my old address after I changed it.",
            category="technical",
        )
    return 3
