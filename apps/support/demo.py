"""Demo service desk: SLA policies per priority (a complaint's own, tighter), the help centre's FAQs and knowledge
resources for each audience, saved replies, and the demo customer's requests in several states — one with an
internal note the customer never sees."""

from django.conf import settings
from django.db import transaction

from apps.accounts.models import Team, User
from apps.customers.models import Customer

from . import services
from .models import Faq, FaqCategory, KnowledgeResource, Macro, SlaPolicy, Ticket, TicketMessage

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
    tickets += _demo_email_tickets()
    wanted = (options or {}).get("tickets") or 0
    if wanted:
        tickets_bulk_generate(count=wanted - Ticket.objects.count(), stdout=stdout)
    stdout.write(
        f"support: SLA policies, {Faq.objects.count()} FAQs, {KnowledgeResource.objects.count()} resources, "
        f"{tickets} demo ticket(s) and emails placed on tickets"
    )


def _demo_email_tickets() -> int:
    """The demo inbox's customer mail as tickets (the sandbox mailbox is seeded without the live event): the
    complaint with its follow-up threaded in, the renewal and cancellation requests; bounces, auto-replies and
    strangers' mail stay in the inbox."""
    from apps.messaging.models import Email

    from .inbound import tickets_from_emails

    ids = list(
        Email.objects.filter(direction="inbound", automated="", customer__isnull=False)
        .exclude(pk__in=TicketMessage.objects.filter(email__isnull=False).values("email_id"))
        .values_list("pk", flat=True)[:20]
    )
    return tickets_from_emails(email_ids=ids) if ids else 0


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


def tickets_bulk_generate(*, count: int, stdout) -> int:
    """Synthetic service tickets for the benchmark's scale checks, set-based (INSERT … SELECT over generate_series,
    no row in Python): `count` tickets spread over the customers and the agents' team queues, in every status and
    priority (the active ones opened in the last three days, the rest over two months), each with its customer's
    first message and its opening event carrying the SLA snapshot the list reads in SQL — running deadlines for
    active tickets (some already missed), the time left for paused ones, met or missed for done ones. About 100k
    tickets in seconds."""
    import json

    from django.db import connection

    from . import sla
    from .models import TICKET_NUMBER_SEQUENCE, TicketActivity, TicketMessage

    if count <= 0:
        return 0
    terms = {p: json.dumps(sla.terms_of(sla.policy_for(priority=p, category=""))) for p in SLA}
    ticket, activity, message = Ticket._meta.db_table, TicketActivity._meta.db_table, TicketMessage._meta.db_table
    customers, users = Customer._meta.db_table, User._meta.db_table
    statuses = ["new"] * 2 + ["open"] * 5 + ["pending_customer"] * 2 + ["pending_third_party"]
    statuses += ["resolved"] * 5 + ["closed"] * 5
    priorities = ["low"] * 2 + ["medium"] * 5 + ["high"] * 2 + ["urgent"]
    ranks = [{"low": 0, "medium": 1, "high": 2, "urgent": 3}[p] for p in priorities]
    minutes = {p: targets[2] for p, targets in SLA.items()}  # resolution targets: the due date of the snapshot
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT coalesce(max(id), 0) FROM {ticket}")  # noqa: S608 - names from model metadata
        before = cursor.fetchone()[0]
        cursor.execute(
            f"""
            WITH cust AS (SELECT array_agg(id ORDER BY id) AS ids FROM {customers}),
                 agents AS (SELECT array_agg(id ORDER BY id) AS ids, array_agg(team_id ORDER BY id) AS teams
                            FROM {users} WHERE role = 'agent' AND is_active AND team_id IS NOT NULL),
                 g AS (SELECT n, nextval(%(sequence)s) AS num, n %% 20 AS s, n %% 10 AS p
                       FROM generate_series(1, %(count)s) n),
                 t AS (SELECT g.*, now() - random() * CASE WHEN g.s < 10 THEN interval '3 days' ELSE interval '60 days'
                       END AS ts FROM g)
            INSERT INTO {ticket} (created_at, updated_at, ticket_number, customer_id, subject, category, priority,
                                  priority_rank, status, channel, team_id, assignee_id, last_message_at, resolved_at,
                                  closed_at)
            SELECT t.ts, t.ts,
                   'TKT-' || to_char(t.ts, 'YYYY') || '-' || lpad(t.num::text, greatest(6, length(t.num::text)), '0'),
                   cust.ids[1 + (t.n * 7919) %% array_length(cust.ids, 1)],
                   'Generated request ' || t.n,
                   (%(categories)s::text[])[1 + t.n %% 7],
                   (%(priorities)s::text[])[1 + t.p],
                   (%(ranks)s::int[])[1 + t.p],
                   (%(statuses)s::text[])[1 + t.s],
                   'portal',
                   agents.teams[1 + t.n %% array_length(agents.ids, 1)],
                   agents.ids[1 + t.n %% array_length(agents.ids, 1)],
                   t.ts,
                   CASE WHEN t.s >= 10 THEN t.ts + interval '2 days' END,
                   CASE WHEN t.s >= 15 THEN t.ts + interval '5 days' END
            FROM t, cust, agents
            WHERE array_length(cust.ids, 1) > 0
            """,  # noqa: S608 - table names from model metadata, values as parameters
            {
                "sequence": TICKET_NUMBER_SEQUENCE,
                "count": count,
                "categories": ["general", "policy", "claim", "billing", "complaint", "technical", "other"],
                "priorities": priorities,
                "ranks": ranks,
                "statuses": statuses,
            },
        )
        made = cursor.rowcount
        cursor.execute(
            f"""
            INSERT INTO {activity} (ticket_id, kind, status, priority, details, internal, key, occurred_at,
                                    sla_target, sla_due_at, sla_paused, sla_remaining_seconds, sla_breached,
                                    sla_terms)
            SELECT t.id, 'created', t.status, t.priority, 'Opened (Portal)', false, '', t.created_at,
                   CASE WHEN t.status IN ('new', 'open', 'pending_customer', 'pending_third_party')
                        THEN 'resolution' ELSE '' END,
                   CASE WHEN t.status IN ('new', 'open')
                        THEN t.created_at + make_interval(mins => (%(minutes)s::jsonb ->> t.priority)::int) END,
                   t.status IN ('pending_customer', 'pending_third_party'),
                   CASE WHEN t.status IN ('pending_customer', 'pending_third_party') THEN (t.id %% 36000) - 3600 END,
                   t.status IN ('resolved', 'closed') AND t.id %% 9 = 0,
                   (%(terms)s::jsonb -> t.priority)
            FROM {ticket} t WHERE t.id > %(before)s
            """,  # noqa: S608
            {
                "minutes": json.dumps(minutes),
                "terms": json.dumps({p: json.loads(v) for p, v in terms.items()}),
                "before": before,
            },
        )
        # fresh statistics first: the planner otherwise takes both just-filled tables for empty and joins them
        # row by row (minutes at 100k tickets instead of a second)
        cursor.execute(f"ANALYZE {ticket}, {activity}")
        cursor.execute(
            f"""UPDATE {ticket} t SET last_event_id = a.id,
                    sla_check_at = CASE WHEN a.sla_paused THEN NULL ELSE a.sla_due_at - interval '1 day' END
                FROM {activity} a
                WHERE a.ticket_id = t.id AND t.id > %(before)s""",  # noqa: S608
            {"before": before},
        )
        cursor.execute(
            f"""
            INSERT INTO {message} (ticket_id, sender, body, internal, channel, created_at)
            SELECT id, 'customer', 'A generated request: please help with my policy.', false, 'portal', created_at
            FROM {ticket} WHERE id > %(before)s
            """,  # noqa: S608
            {"before": before},
        )
    stdout.write(f"support: {made} generated tickets (set-based), with their first message and SLA snapshot")
    return made
