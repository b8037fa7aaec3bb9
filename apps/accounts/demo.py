"""Demo accounts for `manage.py seed_demo`: one per role (password DEMO_PASSWORD), plus the staff of the living
demo book — two teams of agents with their managers and a second assessor — so work is spread across people."""

from django.contrib.auth.hashers import make_password

from .models import Branch, SavedFilter, Team, User
from .roles import Role

DEMO_PASSWORD = "demo-pass-2026"  # noqa: S105  (documented in the README; refused in production)

DEMO_USERS = [
    ("admin@example.com", "Ada", "Admin", Role.ADMIN),
    ("manager@example.com", "Maya", "Manager", Role.MANAGER),
    ("agent@example.com", "Alex", "Agent", Role.AGENT),
    ("assessor@example.com", "Sam", "Assessor", Role.ASSESSOR),
    ("viewer@example.com", "Vic", "Viewer", Role.VIEWER),
    ("customer@example.com", "Chris", "Customer", Role.CUSTOMER),
]
# (email, first, last, role, team): the book's other staff; they sign in with the same password.
BOOK_STAFF = [
    ("agent.rita@example.com", "Rita", "Ramos", Role.AGENT, "Motor & Home"),
    ("agent.tiago@example.com", "Tiago", "Teixeira", Role.AGENT, "Motor & Home"),
    ("manager.luisa@example.com", "Luísa", "Lemos", Role.MANAGER, "Health & Life"),
    ("agent.nuno@example.com", "Nuno", "Nogueira", Role.AGENT, "Health & Life"),
    ("agent.ines@example.com", "Inês", "Infante", Role.AGENT, "Health & Life"),
    ("assessor.joao@example.com", "João", "Jardim", Role.ASSESSOR, "Motor & Home"),
]


def seed(*, stdout, options=None) -> None:
    branch, _ = Branch.objects.get_or_create(code="hq", defaults={"name": "Head office", "city": "Lisbon"})
    porto, _ = Branch.objects.get_or_create(code="opo", defaults={"name": "Porto office", "city": "Porto"})
    teams = {
        "Motor & Home": Team.objects.get_or_create(name="Motor & Home", defaults={"branch": branch})[0],
        "Health & Life": Team.objects.get_or_create(name="Health & Life", defaults={"branch": porto})[0],
    }
    # One hash for every demo account: hashing is deliberately slow, and these share one documented password.
    password = None
    created = 0
    people = [(e, f, la, r, "Motor & Home") for e, f, la, r in DEMO_USERS] + BOOK_STAFF
    for email, first, last, role, team_name in people:
        team = teams[team_name]
        user = User.objects.filter(email=email).first()
        if user is None:
            password = password or make_password(DEMO_PASSWORD)
            user = User(email=email, first_name=first, last_name=last, role=role, password=password)
            if role != Role.CUSTOMER:
                user.branch = team.branch
                user.team = team if role in (Role.MANAGER, Role.AGENT, Role.ASSESSOR) else None
            user.save()
            created += 1
        if role == Role.MANAGER and team.manager_id is None:
            team.manager = user
            team.save(update_fields=["manager", "updated_at"])
    # A filter Rita shares with her team (Alex, the demo agent, finds it above the cases list and on the home page),
    # beside the defaults every role gets (apps.renewals.admin_filters, apps.claims.admin_filters).
    rita = User.objects.get(email="agent.rita@example.com")
    SavedFilter.objects.get_or_create(
        owner=rita,
        model_label="renewals.renewalcase",
        name="Urgent renewals",
        defaults={"query": "priority__exact=urgent", "shared": True},
    )
    stdout.write(f"accounts: {created} demo user(s) created, {len(people) - created} already present")
