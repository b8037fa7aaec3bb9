"""Demo notifications: what each demo user would have in their bell on a working day (the domain events of the
book, such as claim moves and case assignments, add their own as they happen)."""

from apps.accounts.models import User

from .services import notify

# email -> (type, title, message, link)
BOOK_NOTES = {
    "customer@example.com": [
        ("reminder", "A premium instalment is due", "Your next instalment is due soon: see Payments.", "/payments"),
        ("system", "Two-step sign-in is available", "Protect your account with an authenticator app.", "/profile/mfa"),
    ],
    "agent@example.com": [
        ("assignment", "3 renewal cases assigned to you", "They renew within 30 days.", "/admin/renewals/renewalcase/"),
        ("reminder", "Follow up the claims in triage", "Claims have waited for triage since yesterday.", ""),
    ],
    "manager@example.com": [
        ("update", "Upload processed with row errors", "demo-renewals-motor.csv: 3 rows were refused.", ""),
        ("reminder", "Claim payments wait for approval", "Payments above an agent's authority need you.", ""),
    ],
    "assessor@example.com": [
        ("assignment", "New assessments assigned", "Vehicle inspections are booked at the repairer's yard.", ""),
    ],
    "admin@example.com": [
        ("system", "Nightly jobs completed", "Reminders, lapses and the billing sweep ran without errors.", ""),
    ],
    "viewer@example.com": [
        ("system", "The monthly dashboard is ready", "Claims, renewals and payments for last month.", "/admin/"),
    ],
}


def seed(*, stdout, options=None) -> None:
    created = 0
    for user in User.objects.filter(email__in=list(BOOK_NOTES)):
        for i, (kind, title, message, link) in enumerate(BOOK_NOTES[user.email]):
            note = notify(
                user=user,
                kind=kind,
                event="demo:book",
                title=title,
                message=message,
                link=link,
                dedupe_key=f"demo-book-{i}",  # a rerun adds nothing
                email=False,
            )
            created += note is not None
    stdout.write(f"notifications: {created} demo notification(s)")
