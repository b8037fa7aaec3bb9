"""Demo CRM for `manage.py seed_demo`: each team's assignment rule, client and recruit leads spread over the
teams by those rules, worked through the services (calls, status moves, conversions into contacts and deals at
every pipeline stage, a recruit converted into a candidate), and today's tasks and appointments of the demo
agent — one appointment overlapping another, so the conflict report shows. Idempotent: leads carry
`import_key` demo-<n>, and nothing is added once they exist."""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from apps.accounts.models import Team, User
from apps.catalog.models import ProductLine

from . import services
from .models import AssignmentStrategy, Lead, LeadAssignmentRule, LeadKind, LeadSource, LeadStatus

CLIENTS = [
    # first, last, source, line, value, what happens
    ("Carolina", "Matos", LeadSource.REFERRAL, "home", "1450", "won"),
    ("Duarte", "Pinto", LeadSource.QUOTE, "auto", "620", "quoted"),
    ("Filipa", "Correia", LeadSource.WEBSITE, "home", "980", "negotiation"),
    ("Gonçalo", "Neves", LeadSource.EVENT, "auto", "540", "contacted"),
    ("Helena", "Cardoso", LeadSource.WEBSITE, "health", "2100", "qualified"),
    ("Igor", "Vieira", LeadSource.SOCIAL, "travel", "120", "lost"),
    ("Joana", "Tavares", LeadSource.REFERRAL, "life", "3200", "new"),
    ("Leonor", "Moura", LeadSource.PURCHASED, "auto", "", "new"),
    ("Manuel", "Rocha", LeadSource.COLD_CALL, "home", "700", "contacted"),
    ("Patrícia", "Barros", LeadSource.QUOTE, "health", "1800", "new"),
]
RECRUITS = [
    ("Sérgio", "Antunes", LeadSource.REFERRAL, True, 6, "convert"),
    ("Vera", "Pacheco", LeadSource.WEBSITE, False, 1, "contacted"),
    ("Xavier", "Domingues", LeadSource.EVENT, True, 3, "new"),
]


def seed(*, stdout, options=None) -> None:
    book_seed(stdout=stdout)
    quotes_seed(stdout=stdout)
    wanted = int((options or {}).get("leads") or 0)
    if wanted:
        volumes_generate(leads=wanted, stdout=stdout)
    services.agent_book_stats_refresh()  # /agents' book figures for the demo at once, not at the first beat
    from .calsync import demo as calendar_demo

    calendar_demo.seed(stdout=stdout)  # the demo agent's sandbox calendar, synced both ways


def book_seed(*, stdout) -> None:
    if Lead.objects.filter(import_key__startswith="demo-").exists():
        stdout.write("crm: demo leads already present")
        return
    admin = User.objects.filter(email="admin@example.com").first()
    agent = User.objects.filter(email="agent@example.com").first()
    teams = list(Team.objects.filter(name__in=["Motor & Home", "Health & Life"]).order_by("name"))
    if admin is None or agent is None or not teams:
        stdout.write("crm: skipped (run the accounts demo first)")
        return
    for team, strategy in zip(teams, (AssignmentStrategy.LEAST_LOADED, AssignmentStrategy.ROUND_ROBIN), strict=False):
        LeadAssignmentRule.objects.get_or_create(team=team, defaults={"strategy": strategy})
    lines = {line.code: line for line in ProductLine.objects.all()}
    number = 0
    for index, (first, last, source, line, value, outcome) in enumerate(CLIENTS):
        number += 1
        lead, _ = services.lead_create(
            actor=admin,
            kind=LeadKind.CLIENT,
            first_name=first,
            last_name=last,
            email=f"{first.lower()}.{last.lower()}@example.net".replace("ç", "c").replace("í", "i"),
            phone=f"+3519300{number:05d}",
            city=("Lisboa", "Porto", "Braga")[index % 3],
            source=source,
            product_interest=lines.get(line),
            estimated_value=Decimal(value) if value else None,
            team=teams[index % len(teams)],
            import_key=f"demo-{number}",
        )
        _work_client(lead, outcome)
    for first, last, source, licensed, years, outcome in RECRUITS:
        number += 1
        lead, _ = services.lead_create(
            actor=admin,
            kind=LeadKind.RECRUIT,
            first_name=first,
            last_name=last,
            email=f"{first.lower()}.{last.lower()}@example.org".replace("é", "e"),
            source=source,
            licensed=licensed,
            years_experience=years,
            team=teams[0],
            import_key=f"demo-{number}",
        )
        worker = lead.assigned_agent or admin
        if outcome in ("convert", "contacted"):
            services.activity_create(actor=worker, lead=lead, kind="call", subject="Career conversation")
        if outcome == "convert":
            services.recruit_lead_convert(lead=lead, actor=worker)
    _agents_day(agent)
    stdout.write(f"crm: {number} demo leads, their deals and the demo agent's day")


def _work_client(lead: Lead, outcome: str) -> None:
    worker = lead.assigned_agent
    if worker is None or outcome == "new":
        return
    services.activity_create(
        actor=worker, lead=lead, kind="call", subject="First call", body="Talked through their current cover."
    )
    if outcome == "contacted":
        return
    if outcome == "lost":
        services.lead_update(lead=lead, actor=worker, status=LeadStatus.LOST, lost_reason="Renewed with their bank")
        return
    services.lead_update(lead=lead, actor=worker, status=LeadStatus.QUALIFIED)
    services.activity_create(actor=worker, lead=lead, kind="meeting", subject="Needs review")
    if outcome == "qualified":
        return
    result = services.client_lead_convert(lead=lead, actor=worker, expected_close=timezone.localdate() + timedelta(30))
    stages = {"quoted": ["Quoted"], "negotiation": ["Quoted", "Negotiation"], "won": ["Quoted", "Won"]}[outcome]
    for stage in stages:
        services.opportunity_update(opportunity=result.opportunity, actor=worker, stage=stage)


def _agents_day(agent: User) -> None:
    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    services.task_create(actor=agent, title="Call back Duarte about the motor quote", due_at=now + timedelta(hours=2))
    services.task_create(actor=agent, title="Send the home policy wording", due_at=now - timedelta(days=1))
    services.task_create(actor=agent, title="Prepare the quarterly review", due_at=now + timedelta(days=3))
    start = now + timedelta(hours=3)
    services.appointment_create(
        actor=agent,
        title="Policy review with a client",
        start=start,
        end=start + timedelta(hours=1),
        location="Lisbon office",
    )
    services.appointment_create(
        actor=agent,
        title="Team pipeline meeting",
        start=start + timedelta(minutes=30),
        end=start + timedelta(minutes=90),
        location="Meeting room 2",
    )
    tomorrow = start + timedelta(days=1)
    services.appointment_create(actor=agent, title="Home visit", start=tomorrow, end=tomorrow + timedelta(hours=1))


# --- `seed_demo --leads N` / `--scale S` (200k leads per unit of scale): synthetic volumes, set-based -------------

SALES_FORCE = 500  # agents at scale 1 (seed 004's "/agents for 500 agents")


def volumes_generate(*, leads: int, stdout) -> None:
    """Synthetic CRM volumes for benchmarks, each table written by one INSERT … SELECT (never a row at a time):
    per lead, 5 activities, ½ task, ¼ opportunity (on a random customer), ¼ appointment; agents are topped up
    to 500 per 200k leads. The audit triggers are skipped for synthetic rows only, as the other apps' generators
    do. Idempotent: only the shortfall of leads is generated (`import_key` gen-<n>)."""
    import pgtrigger
    from django.contrib.auth.hashers import make_password
    from django.db import connection, transaction

    from apps.accounts.roles import Role
    from apps.customers.demo import FIRST, LAST

    have = Lead.objects.filter(import_key__startswith="gen-").count()
    if have >= leads:
        return
    count = leads - have
    wanted_agents = max(2, SALES_FORCE * leads // 200_000)
    teams = list(Team.objects.order_by("id").values_list("pk", flat=True))
    existing = User.objects.filter(role=Role.AGENT, is_active=True).count()
    unusable = make_password(None)
    User.objects.bulk_create(
        [
            User(
                email=f"sales.agent{n}@example.com",
                first_name=FIRST[n % len(FIRST)],
                last_name=LAST[(n * 7) % len(LAST)],
                role=Role.AGENT,
                team_id=teams[n % len(teams)] if teams else None,
                password=unusable,
            )
            for n in range(existing, wanted_agents)
        ],
        ignore_conflicts=True,
    )
    triggers = [f"crm.{m}:insert_insert" for m in ("Lead", "Activity", "Task", "Appointment", "Opportunity")]
    with transaction.atomic(), pgtrigger.ignore(*triggers), connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS gen_agents, gen_leads, gen_customers")  # inside an outer transaction
        cursor.execute("SELECT coalesce(max(id), 0) FROM crm_lead")
        before = cursor.fetchone()[0]
        cursor.execute(
            "CREATE TEMP TABLE gen_agents AS SELECT row_number() OVER (ORDER BY id) - 1 AS i, "
            "id, team_id FROM accounts_user WHERE role = 'agent' AND is_active"
        )
        cursor.execute(
            """
            WITH n AS (SELECT count(*) AS n FROM gen_agents),
            src AS (SELECT g, random() AS r, random() AS r2, random() AS r3, now() - random() * interval '400 days'
                           AS created FROM generate_series(%s, %s) AS g)
            INSERT INTO crm_lead (created_at, updated_at, kind, first_name, last_name, email, phone, city, source,
                status, lost_reason, notes, estimated_value, licensed, years_experience, score, score_breakdown,
                first_contacted_at, last_activity_at, converted_at, email_key, phone_key, import_key,
                assigned_agent_id, team_id)
            SELECT created, created, CASE WHEN r3 < 0.9 THEN 'client' ELSE 'recruit' END,
                (%s::text[])[1 + g %% array_length(%s::text[], 1)],
                (%s::text[])[1 + (g * 7) %% array_length(%s::text[], 1)],
                'lead' || g || '@example.org', '+35193' || lpad(g::text, 7, '0'), 'Lisboa',
                (ARRAY['Referral','Website','Quote','Event','Social Media','Cold Call'])[1 + floor(r2 * 6)::int],
                status, CASE WHEN status = 'Lost' THEN 'Chose another broker' ELSE '' END, '',
                round((100 + r2 * 3000)::numeric, 2), false, NULL, floor(r * 100)::int, '[]'::jsonb,
                CASE WHEN status <> 'New' THEN created + interval '5 hours' * (1 + r2 * 40) END,
                CASE WHEN status <> 'New' THEN created + interval '2 days' END,
                CASE WHEN status = 'Converted' THEN created + interval '20 days' END,
                'lead' || g || '@example.org', '93' || lpad(g::text, 7, '0'), 'gen-' || g,
                CASE WHEN r3 < 0.05 THEN NULL ELSE a.id END, a.team_id
            FROM (SELECT *, CASE WHEN r < 0.35 THEN 'New' WHEN r < 0.55 THEN 'Contacted' WHEN r < 0.70 THEN 'Qualified'
                                   WHEN r < 0.85 THEN 'Converted' ELSE 'Lost' END AS status FROM src) s
            JOIN gen_agents a ON a.i = floor(s.r3 * (SELECT n FROM n))::int
            """,
            [have + 1, have + count, FIRST, FIRST, LAST, LAST],
        )
        cursor.execute(
            "CREATE TEMP TABLE gen_leads AS SELECT id, assigned_agent_id, created_at, row_number() OVER (ORDER BY id) "
            "AS i FROM crm_lead WHERE id > %s",
            [before],
        )
        cursor.execute(
            """
            INSERT INTO crm_activity (created_at, updated_at, kind, subject, body, occurred_at, author_id, lead_id)
            SELECT l.created_at + k * interval '1 day', l.created_at + k * interval '1 day',
                (ARRAY['call','email','note','meeting','sms'])[k], 'Follow-up ' || k, '',
                l.created_at + k * interval '1 day', l.assigned_agent_id, l.id
            FROM gen_leads l CROSS JOIN generate_series(1, 5) AS k
            """
        )
        cursor.execute(
            "CREATE TEMP TABLE gen_customers AS SELECT row_number() OVER (ORDER BY id) - 1 AS i, id "
            "FROM customers_customer WHERE deleted_at IS NULL"
        )
        cursor.execute(
            """
            INSERT INTO crm_opportunity (created_at, updated_at, title, customer_id, lead_id, agent_id, team_id,
                stage, value, currency, lost_reason, closed_at, suggested, suggestion_reasons)
            SELECT l.created_at, l.created_at, 'Cover for lead ' || l.id, c.id, l.id, l.assigned_agent_id, a.team_id,
                stage, round((200 + random() * 2500)::numeric, 2), 'EUR',
                CASE WHEN stage = 'Lost' THEN 'Price' ELSE '' END,
                CASE WHEN stage IN ('Won', 'Lost') THEN l.created_at + interval '30 days' END, false, '[]'::jsonb
            FROM (SELECT *, (ARRAY['New','Needs Analysis','Quoted','Negotiation','Won','Lost'])[1 + i %% 6] AS stage
                  FROM gen_leads WHERE i %% 4 = 0) l
            JOIN gen_customers c ON c.i = (l.i * 7919) %% (SELECT greatest(count(*), 1) FROM gen_customers)
            LEFT JOIN gen_agents a ON a.id = l.assigned_agent_id
            """
        )
        cursor.execute(
            """
            INSERT INTO crm_task (created_at, updated_at, title, description, status, priority, due_at, assignee_id,
                lead_id, completed_at)
            SELECT l.created_at, l.created_at, 'Call back lead ' || l.id, '',
                CASE WHEN i %% 3 = 0 THEN 'Completed' ELSE 'Pending' END, 'Medium',
                now() + (i %% 60 - 30) * interval '1 day', l.assigned_agent_id, l.id,
                CASE WHEN i %% 3 = 0 THEN l.created_at + interval '1 day' END
            FROM gen_leads l WHERE i %% 2 = 0 AND l.assigned_agent_id IS NOT NULL
            """
        )
        cursor.execute(
            """
            INSERT INTO crm_appointment (created_at, updated_at, title, description, location, start, "end", status,
                agent_id, lead_id, sequence, invitation_status)
            SELECT l.created_at, l.created_at, 'Meeting with lead ' || l.id, '', '', s, s + interval '1 hour',
                CASE WHEN s < now() THEN 'Completed' ELSE 'Scheduled' END, l.assigned_agent_id, l.id, 0, ''
            FROM (SELECT *, date_trunc('hour', now()) + (i %% 240 - 120) * interval '1 day'
                            + (i %% 9) * interval '1 hour' AS s FROM gen_leads WHERE i %% 4 = 1) l
            WHERE l.assigned_agent_id IS NOT NULL
            """
        )
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS gen_agents, gen_leads, gen_customers")
        for table in ("crm_lead", "crm_activity", "crm_opportunity", "crm_task", "crm_appointment", "accounts_user"):
            cursor.execute(f"ANALYZE {table}")
    stdout.write(f"crm: {count} leads generated with their activities, tasks, deals and appointments")


# --- quotes into the pipeline, and cross-sell suggestions ------------------------------------------------------------

RULE_LINES = {"Motor & Home": ("auto", "home"), "Health & Life": ("health", "life", "travel")}
QUOTE_INPUTS = {
    "age": 41,
    "sum_insured": Decimal("200000"),
    "vehicle_value": Decimal("18000"),
    "vehicle_year": 2019,
    "claims_count": 0,
    "deductible": Decimal("250"),
}


def _priced(line: str, actor):
    """A stored quote on the first product of `line` the demo inputs can price (regions tried in turn)."""
    from django.core.exceptions import ValidationError

    from apps.catalog.models import Product, QuoteChannel
    from apps.catalog.selectors import product_for_quote
    from apps.catalog.services import quote_create

    for code in Product.objects.filter(line__code=line, is_active=True).order_by("code").values_list("code", flat=True):
        product = product_for_quote(code)
        for region in [*(product.regions or []), "LIS", None]:
            inputs = {**QUOTE_INPUTS, **({"region": region} if region else {})}
            try:
                return quote_create(product=product, actor=actor, channel=QuoteChannel.PORTAL, **inputs)
            except ValidationError:
                continue
    return None


def quotes_seed(*, stdout) -> None:
    """The teams' rules name the lines they take; a prospect's and a customer's "I'd like this cover" from a stored
    quote (a lead and a deal, the customer's picked up by their agent and told), and the cross-sell suggestions
    the recommendations make for the demo book. Idempotent (the prospect's quote marks it done)."""
    from apps.catalog.models import Quote
    from apps.catalog.services import quote_apply
    from apps.customers.models import Customer

    from .recommendations import cross_sell_suggest

    if Quote.objects.filter(applicant_email="tiago.lopes@example.net").exists():
        stdout.write("crm: demo quote requests already present")
        return
    for rule in LeadAssignmentRule.objects.select_related("team"):
        rule.product_lines.set(ProductLine.objects.filter(code__in=RULE_LINES.get(rule.team.name, ())))
    prospect = _priced("home", None)
    if prospect is not None:
        prospect = quote_apply(
            quote=prospect,
            actor=None,
            first_name="Tiago",
            last_name="Lopes",
            email="tiago.lopes@example.net",
            phone="+351930099001",
            message="We move into a flat in Porto next month.",
        )
        lead = Lead.objects.filter(quote=prospect).select_related("assigned_agent").first()
        if lead is not None and lead.assigned_agent is not None:  # picked up: the quote shows "With an agent"
            services.activity_create(
                actor=lead.assigned_agent, lead=lead, kind="call", subject="Called about the requested home cover"
            )
    customer = Customer.objects.filter(user__email="customer@example.com").select_related("user").first()
    if customer is not None and customer.user is not None:  # left "Requested" in their portal
        own = _priced("travel", customer.user) or _priced("life", customer.user)
        if own is not None:
            quote_apply(quote=own, actor=customer.user, message="For our summer trip.")
    made = cross_sell_suggest(customers=Customer.objects.filter(agent__isnull=False), limit=200)
    stdout.write(f"crm: quote requests in the pipeline and {made} cross-sell suggestions")
