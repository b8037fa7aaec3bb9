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
