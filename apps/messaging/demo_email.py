"""Demo inbox: a sandbox mailbox (replies go to the project's mailer, the console in `make run`; no IMAP server
to sync from) holding customer mail that went through the real pipeline — parsed, classified, threaded and linked
(some from demo customers, some naming their policies and claims) — plus reply templates. Idempotent."""

from django.utils import timezone

from apps.claims.models import Claim
from apps.customers.models import Customer
from apps.policies.models import Policy

from .models import Email, EmailAccount, EmailTemplate
from .services.email_ingest import emails_ingest

TEMPLATES = {
    "Acknowledgement": 'Dear {{ customer_name }},\n\nThank you for your email about "{{ subject }}". We are looking '
    "into it and will come back to you within one working day.\n\nKind regards,\n{{ agent_name }}\n{{ mailbox_name }}",
    "Renewal quote on its way": "Dear {{ customer_name }},\n\nYour renewal quote for {{ policy_number }} is being "
    "prepared and will reach you this week.\n\nKind regards,\n{{ agent_name }}",
    "Claim update": "Dear {{ customer_name }},\n\nYour claim {{ claim_number }} is with our assessor; we will "
    "update you as soon as the assessment is in.\n\nKind regards,\n{{ agent_name }}",
}


def _raw(n: int, sender: str, subject: str, body: str, extra: str = "") -> bytes:
    date = timezone.now() - timezone.timedelta(hours=3 * (12 - n))
    return (
        f"From: {sender}\r\nTo: service@insureops.local\r\nSubject: {subject}\r\n"
        f"Message-ID: <demo-{n}@customer-mail.example>\r\nDate: {date:%a, %d %b %Y %H:%M:%S +0000}\r\n{extra}"
        f"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
    ).encode()


def seed(*, stdout, options=None) -> None:
    for name, body in TEMPLATES.items():
        EmailTemplate.objects.get_or_create(name=name, defaults={"body": body})
    account, _ = EmailAccount.objects.get_or_create(
        email="service@insureops.local",
        defaults={
            "name": "Customer service",
            "provider": "sandbox",
            "imap_server": "localhost",
            "imap_port": 993,
            "smtp_server": "localhost",
            "smtp_port": 465,
            "username": "service@insureops.local",
            "password_encrypted": "sandbox",
            "auto_sync": False,
        },
    )
    if Email.objects.filter(account=account).exists():
        return
    customers = list(Customer.objects.exclude(email="").order_by("id")[:4])
    policy = Policy.objects.order_by("id").first()
    claim = Claim.objects.order_by("id").first()
    who = [f"{c.full_name} <{c.email}>" for c in customers] or ["Jo Customer <jo@customer-mail.example>"]
    messages = [
        (
            who[0],
            "Terrible service, nobody calls me back",
            "This is the third time I write. I am very unhappy and want to make a formal complaint.",
        ),
        (
            who[-1],
            f"Renewal of {policy.policy_number}" if policy else "Renewal quote",
            "My policy expires next month. Please send me the renewal quote.",
        ),
        (
            "Garage Silva <office@garage-silva.example>",
            f"Estimate for {claim.claim_number}" if claim else "Estimate",
            "Attached is our repair estimate. Please approve it so we can order the parts.",
        ),
        (who[min(1, len(who) - 1)], "Cancel my car insurance", "I sold the car last week, please cancel my policy."),
        (
            "New Prospect <prospect@example.org>",
            "Appointment",
            "Could we book a call on Thursday afternoon to talk about home insurance?",
        ),
        (who[0], "Thank you!", "Thanks a lot for sorting out my claim so quickly. Great help."),
        (
            "MAILER-DAEMON@mx.example",
            "Undelivered Mail Returned to Sender",
            "Delivery to the following recipient failed permanently.",
        ),
        (
            "Ana <ana@holiday.example>",
            "Out of Office: back on Monday",
            "I am away until Monday.",
        ),
    ]
    raws = [(n, _raw(n, sender, subject, body)) for n, (sender, subject, body) in enumerate(messages)]
    raws.append(
        (
            len(raws),
            _raw(
                len(raws),
                who[0],
                "Re: Terrible service, nobody calls me back",
                "Still waiting. Please call me today.",
                extra="In-Reply-To: <demo-0@customer-mail.example>\r\n",
            ),
        )
    )
    result = emails_ingest(account=account, messages=raws, notify=False)
    stdout.write(
        f"  inbox: {len(result.created)} emails in the shared inbox (sandbox mailbox, {len(TEMPLATES)} templates)"
    )
