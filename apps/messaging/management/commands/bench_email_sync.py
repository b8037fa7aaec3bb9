"""Measure sync + parse + classify + link from a local IMAP server (a throwaway Dovecot) holding N messages:
`manage.py bench_email_sync --messages 10000`. Prints emails/s and the load average; the bench account and its
mail are removed afterwards (unless --keep)."""

import os
import random
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import F

from apps.messaging import dovecot
from apps.messaging.classifier import local
from apps.messaging.models import Email, EmailAccount
from apps.messaging.services.email_classifier import classifier_latest
from apps.messaging.services.email_sync import email_account_sync
from apps.policies.models import Policy

SENDERS = [f"customer{n}@mail.example" for n in range(400)]


def _message(n: int, texts: list[tuple[str, str]], numbers: list[str], rng: random.Random) -> bytes:
    text, _ = texts[n % len(texts)]
    sender = SENDERS[n % len(SENDERS)]
    subject = text.split(".")[0][:60]
    reference = f" Policy {rng.choice(numbers)}." if numbers and n % 5 == 0 else ""
    # every third message answers the sender's previous one (same correspondent: it joins that thread)
    previous = n - len(SENDERS)
    in_reply = f"In-Reply-To: <bench{previous}@mail.example>\r\n" if n % 3 == 0 and previous >= 0 else ""
    body = f"Hello,\r\n\r\n{text}{reference}\r\n\r\nKind regards\r\n{sender.split('@')[0]}\r\n"
    return (
        f"From: {sender}\r\nTo: inbox@insureops.test\r\nSubject: {subject}\r\nMessage-ID: <bench{n}@mail.example>\r\n"
        f"Date: Sat, 05 Dec 2026 10:{n // 60 % 60:02d}:{n % 60:02d} +0000\r\n{in_reply}MIME-Version: 1.0\r\n"
        f"Content-Type: text/plain; charset=utf-8\r\n\r\n{body}"
    ).encode()


class Command(BaseCommand):
    help = "Benchmark IMAP sync + parse + classify + link (emails/s) against a local Dovecot."

    def add_arguments(self, parser):
        parser.add_argument("--messages", type=int, default=10_000)
        parser.add_argument("--batch", type=int, default=None, help="Messages per IMAP fetch and transaction.")
        parser.add_argument("--keep", action="store_true", help="Keep the bench account and its mail.")

    def handle(self, *args, **options):
        if not dovecot.available():
            raise CommandError("dovecot-imapd is not installed (apt-get install dovecot-imapd).")
        count = options["messages"]
        rng = random.Random(7)  # noqa: S311 (reproducible test data)
        texts = local.labelled_set()
        numbers = list(Policy.objects.values_list("policy_number", flat=True)[:200])
        classifier_latest()  # a first version exists before the clock starts (trained once per install)
        server = dovecot.start()
        account = None
        try:
            started = time.monotonic()
            for n in range(count):
                server.deliver(_message(n, texts, numbers, rng))
            self.stdout.write(f"delivered {count} messages to Dovecot in {time.monotonic() - started:.1f} s")
            account = EmailAccount.objects.create(
                name="Bench inbox",
                email=f"bench-{os.getpid()}@insureops.test",
                imap_server="127.0.0.1",
                imap_port=server.port,
                smtp_server="127.0.0.1",
                smtp_port=25,
                username=server.username,
                password_encrypted=server.password,
                use_ssl=False,
                auto_sync=False,
            )
            load_before = os.getloadavg()
            result = email_account_sync(account_id=account.pk, batch_size=options["batch"])
            load_after = os.getloadavg()
            if result.error:
                raise CommandError(result.error)
            stored = Email.objects.filter(account=account).count()
            linked = Email.objects.filter(account=account).exclude(link_reasons=[]).count()
            threaded = Email.objects.filter(account=account).exclude(thread_id=F("message_id")).count()
            rate = result.created / result.seconds if result.seconds else 0
            self.stdout.write(
                f"synced {result.created} emails ({stored} stored, {linked} linked, {threaded} joined a thread) in "
                f"{result.seconds:.1f} s = {rate:.0f} emails/s (target ≥ 200); load average "
                f"{load_before[0]:.2f} before, {load_after[0]:.2f} after ({os.cpu_count()} CPUs)"
            )
        finally:
            server.stop()
            if account is not None and not options["keep"]:
                with transaction.atomic():
                    Email.objects.filter(account=account).delete()
                    account.delete()
