"""Demo accounts for `manage.py seed_demo` (one per role, password DEMO_PASSWORD)."""

from .models import Branch, Team, User
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


def seed(*, stdout, options=None) -> None:
    branch, _ = Branch.objects.get_or_create(code="hq", defaults={"name": "Head office", "city": "Lisbon"})
    team, _ = Team.objects.get_or_create(name="Motor & Home", defaults={"branch": branch})
    created = 0
    for email, first, last, role in DEMO_USERS:
        user = User.objects.filter(email=email).first()
        if user is None:
            user = User(email=email, first_name=first, last_name=last, role=role)
            user.set_password(DEMO_PASSWORD)
            if role != Role.CUSTOMER:
                user.branch = branch
                user.team = team if role in (Role.MANAGER, Role.AGENT, Role.ASSESSOR) else None
            user.save()
            created += 1
        if role == Role.MANAGER and team.manager_id is None:
            team.manager = user
            team.save(update_fields=["manager", "updated_at"])
    stdout.write(f"accounts: {created} demo user(s) created, {len(DEMO_USERS) - created} already present")
