"""Demo calendar sync for `manage.py seed_demo`: the demo agent links the sandbox calendar through the real
connect flow (consent simulated by the sandbox), two events are added "on their phone" and reach the CRM through
the push channel, and the agent's appointments reach the calendar. Idempotent: nothing is done once the agent has a
connection. Only with the sandbox provider: a real Google account is linked by its agent."""

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

from django.conf import settings
from django.utils import timezone

from apps.accounts.models import User

from ..models import CalendarConnection
from .sandbox import SandboxCalendar
from .sync import connect_finish, connect_start


def seed(*, stdout) -> None:
    agent = User.objects.filter(email="agent@example.com").first()
    if settings.CRM_CALENDAR_PROVIDER != "sandbox" or agent is None:
        return
    if CalendarConnection.objects.filter(agent=agent).exists():
        stdout.write("crm: the demo agent's calendar is already linked")
        return
    consent = parse_qs(urlsplit(connect_start(agent=agent)).query)  # the sandbox consents at once
    connect_finish(state=consent["state"][0], code=consent["code"][0])
    sandbox = SandboxCalendar(dict(settings.GOOGLE_CALENDAR))
    day = timezone.localtime().replace(hour=9, minute=0, second=0, microsecond=0) + timedelta(days=2)
    for title, hour, place in (("Dentist (personal)", 9, "Rua Augusta 10"), ("Lunch with a broker", 13, "Baixa")):
        start = day.replace(hour=hour)
        sandbox.remote_put(
            account_email=agent.email,
            event={
                "summary": title,
                "location": place,
                "start": {"dateTime": start.isoformat()},
                "end": {"dateTime": (start + timedelta(hours=1)).isoformat()},
            },
        )
    stdout.write("crm: the demo agent's sandbox calendar is linked and synced both ways")
