"""Demo inbox: a sandbox mailbox (replies go to the project's mailer, the console in `make run`; no IMAP server
to sync from) holding customer mail that went through the real pipeline — parsed, classified, threaded and linked
(some from demo customers, some naming their policies and claims) — plus reply templates. Idempotent."""

import contextlib
import re

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
    if Email.objects.filter(account=account).exclude(message_id__startswith="<vol-").exists():
        _volumes(options, stdout)
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
    _compose_demo(customers[0] if customers else None)
    _volumes(options, stdout)


def _volumes(options: dict | None, stdout) -> None:
    if options and options.get("emails"):
        volumes_generate(emails=int(options["emails"]), stdout=stdout)


# --- `seed_demo --emails N` / `--scale S` (500k emails per unit of scale: 100k at make bench's 0.2) --------------

VOLUME_SUBJECTS = [
    ("renewal", "Renewal quote for my policy", "My policy expires next month, please send me the renewal quote."),
    ("claim", "Update on my claim", "Is there any news on my claim? The garage is waiting for approval."),
    ("payment", "Direct debit failed", "My bank says the payment did not go through, can I pay by card?"),
    ("complaint", "Nobody calls me back", "This is the third time I write and I am still waiting for an answer."),
    ("cancellation", "Cancel my car insurance", "I sold the car, please cancel the policy from Friday."),
    ("appointment", "Can we talk on Thursday?", "Could we book a call on Thursday afternoon about home insurance?"),
    ("feedback", "Thank you", "Thanks a lot for sorting out my claim so quickly."),
    ("refund", "Refund of the premium", "I paid twice this month, please refund the second payment."),
    ("other", "Change of address", "I moved house, my new address is in the attachment."),
]


def _positional(sql: str, named: dict) -> tuple[str, list]:
    names = re.findall(r"%\((\w+)\)s", sql)
    return re.sub(r"%\(\w+\)s", "%s", sql), [named[name] for name in names]


def volumes_generate(*, emails: int, stdout) -> None:
    """Synthetic inbox volume for benchmarks (`GET /emails` at 100k): received mail from customers, written by one
    INSERT … SELECT over generate_series (never a row at a time), spread over a year, with the categories,
    statuses, priorities, sentiment and assignment the classifier and the inbox would have given them. The
    history trigger is skipped for synthetic rows only, as the other apps' generators do. Idempotent: only the
    shortfall is generated (Message-IDs <vol-n@…>)."""
    import pgtrigger
    from django.db import connection, transaction

    account = EmailAccount.objects.filter(email="service@insureops.local").first()
    if account is None:
        return
    have = Email.objects.filter(account=account, message_id__startswith="<vol-").count()
    if have >= emails:
        return
    categories = [c for c, _, _ in VOLUME_SUBJECTS]
    subjects = [s for _, s, _ in VOLUME_SUBJECTS]
    bodies = [b for _, _, b in VOLUME_SUBJECTS]
    with transaction.atomic(), pgtrigger.ignore("messaging.Email:insert_insert"), connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS gen_mail_customers")
        cursor.execute(
            "CREATE TEMP TABLE gen_mail_customers AS SELECT row_number() OVER (ORDER BY id) - 1 AS i, id, email, "
            "first_name || ' ' || last_name AS name, customer_code, agent_id FROM customers_customer "
            "WHERE email <> '' AND erased_at IS NULL ORDER BY id LIMIT 50000"
        )
        cursor.execute("CREATE UNIQUE INDEX ON gen_mail_customers (i)")
        cursor.execute("SELECT count(*) FROM gen_mail_customers")
        known = cursor.fetchone()[0]
        sql, params = _positional(
            """
            WITH src AS (
                SELECT g, (g %% 9) + 1 AS k, random() AS r, now() - random() * interval '365 days' AS at
                FROM generate_series(%(start)s, %(end)s) AS g
            )
            INSERT INTO messaging_email (
                created_at, updated_at, account_id, direction, message_id, thread_id, in_reply_to, "references",
                from_email, from_name, to_email, cc_emails, bcc_emails, correspondent, subject, subject_normalised,
                body_text, body_html, attachments, parse_defects, automated, category, category_source, priority,
                status, delivery_status, delivery_error, assigned_to_id, sentiment_score, sentiment_label, ai_intent,
                model_version, read_status, escalation_reason, customer_id, link_reasons, received_at)
            SELECT src.at, src.at, %(account)s, 'inbound', '<vol-' || g || '@customer-mail.example>',
                '<vol-' || g || '@customer-mail.example>', '', '',
                coalesce(c.email, 'sender' || g || '@mail.example'), coalesce(c.name, ''), %(to)s, '{}', '{}',
                lower(coalesce(c.email, 'sender' || g || '@mail.example')),
                (%(subjects)s::text[])[k], lower((%(subjects)s::text[])[k]), (%(bodies)s::text[])[k], '', '[]',
                '[]', '', (%(categories)s::text[])[k], 'model',
                (ARRAY['low', 'medium', 'medium', 'medium', 'high', 'urgent'])[1 + (g %% 6)],
                CASE WHEN src.r < 0.2 THEN 'new' WHEN src.r < 0.45 THEN 'in_progress' ELSE 'resolved' END,
                '', '', CASE WHEN src.r < 0.1 THEN NULL ELSE c.agent_id END,
                round((src.r * 2 - 1)::numeric, 2),
                CASE WHEN src.r < 0.3 THEN 'negative' WHEN src.r < 0.7 THEN 'neutral' ELSE 'positive' END,
                jsonb_build_object('category', (%(categories)s::text[])[k], 'confidence', 60 + (g %% 40)),
                'volume', src.r >= 0.2, '', c.id,
                CASE WHEN c.id IS NULL THEN '[]'::jsonb
                     ELSE jsonb_build_array('sender = customer ' || c.customer_code) END,
                src.at
            FROM src LEFT JOIN gen_mail_customers c ON c.i = (src.g * 7919) %% greatest(%(known)s, 1)
            """,
            {
                "start": have + 1,
                "end": emails,
                "account": account.pk,
                "to": account.email,
                "subjects": subjects,
                "bodies": bodies,
                "categories": categories,
                "known": known,
            },
        )
        cursor.execute(sql, params)  # positional: pgtrigger.ignore() puts its own placeholder in front
        cursor.execute("DROP TABLE gen_mail_customers")
    stdout.write(f"  inbox: {emails - have} synthetic emails generated ({emails} in the volume set)")


def _compose_demo(customer: Customer | None) -> None:
    """An agent writing to a customer from the unified inbox (`POST /messages/send` by email): threaded onto the
    customer's latest email, through the consent gate (a refusal is simply not shown in the demo)."""
    from .services.consent import MessageRefused
    from .services.email import email_compose

    if customer is None or customer.agent is None:
        return
    with contextlib.suppress(MessageRefused):
        email_compose(
            to=customer.email,
            body="We have passed your complaint to the team manager, who will call you today.",
            customer=customer,
            actor=customer.agent,
            source="demo",
        )
