"""IMAP sync of the shared mailboxes (imapclient), UID-based.

The cursor is (UIDVALIDITY, last UID stored). Each run selects the folder read-only and fetches with BODY.PEEK,
so the inbox never marks mail read on the server, and it asks for every UID above the cursor — not for UNSEEN
mail — so a message another client (a colleague's phone) already read is still imported. Messages are stored a
batch at a time, each batch in one transaction together with the new cursor: a crash resumes after the last
stored batch. When the server's UIDVALIDITY changes (mailbox rebuilt or moved), the cursor restarts at zero and
the mailbox is read again; Message-IDs unique per account keep what is already stored from being stored twice.
An advisory lock keeps two workers from syncing one account at once.
"""

import logging
import ssl
import time
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError

from apps.core.exceptions import Conflict
from apps.messaging.models import EmailAccount

from .email_ingest import ScannerUnavailable, emails_ingest

logger = logging.getLogger("insureops.messaging")


@dataclass
class SyncResult:
    account_id: int
    fetched: int = 0
    created: int = 0
    skipped: int = 0
    resynced: bool = False
    seconds: float = 0.0
    error: str = ""
    email_ids: list[int] = field(default_factory=list)


def _connect(account: EmailAccount) -> IMAPClient:
    context = ssl.create_default_context() if account.use_ssl else None
    client = IMAPClient(
        account.imap_server, port=account.imap_port, ssl=account.use_ssl, ssl_context=context, timeout=60
    )
    client.login(account.username, account.password_encrypted)
    return client


def _try_lock(account_id: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(hashtext('messaging.sync'), %s)", [account_id])
        return bool(cursor.fetchone()[0])


def _unlock(account_id: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_unlock(hashtext('messaging.sync'), %s)", [account_id])


def email_account_sync(*, account_id: int, batch_size: int | None = None, keep_ids: bool = False) -> SyncResult:
    """Fetch and store what is new in the account's folder. Raises Conflict when a sync of it is running."""
    batch_size = batch_size or settings.EMAIL_SYNC_BATCH
    result = SyncResult(account_id=account_id)
    started = time.monotonic()
    if not _try_lock(account_id):
        raise Conflict("This mailbox is being synced right now.", code="sync_running")
    try:
        account = EmailAccount.objects.get(pk=account_id)
        try:
            client = _connect(account)
        except (TimeoutError, IMAPClientError, OSError, ssl.SSLError) as exc:
            return _failed(account, result, f"Could not sign in to {account.imap_server}: {exc}", started)
        try:
            info = client.select_folder(account.folder, readonly=True)
            validity = int(info[b"UIDVALIDITY"])
            last_uid = account.last_uid
            if account.uid_validity != validity:
                result.resynced = account.uid_validity is not None
                last_uid = 0
                EmailAccount.objects.filter(pk=account.pk).update(uid_validity=validity, last_uid=0)
            # "n:*" always matches the highest UID, even when it is below n: keep only what is above the cursor
            uids = sorted(uid for uid in client.search(["UID", f"{last_uid + 1}:*"]) if uid > last_uid)
            for start in range(0, len(uids), batch_size):
                chunk = uids[start : start + batch_size]
                messages = _fetch(client, chunk)
                result.fetched += len(messages)
                with transaction.atomic():
                    ingested = emails_ingest(account=account, messages=messages)
                    EmailAccount.objects.filter(pk=account.pk).update(last_uid=chunk[-1], uid_validity=validity)
                result.created += len(ingested.created)
                result.skipped += ingested.skipped
                if keep_ids:
                    result.email_ids += [e.pk for e in ingested.created]
        except ScannerUnavailable as exc:
            return _failed(account, result, f"Attachments could not be scanned, will retry: {exc}", started)
        except (TimeoutError, IMAPClientError, OSError) as exc:
            return _failed(account, result, f"IMAP error: {exc}", started)
        finally:
            try:
                client.logout()
            except Exception:  # the connection may already be gone; nothing to clean up
                logger.debug("IMAP logout failed", exc_info=True)
        EmailAccount.objects.filter(pk=account.pk).update(
            last_sync=timezone.now(), last_error="", status=EmailAccount.Status.ACTIVE
        )
    finally:
        _unlock(account_id)
    result.seconds = time.monotonic() - started
    return result


def _fetch(client: IMAPClient, uids: list[int]) -> list[tuple[int, bytes]]:
    """Full messages for the UIDs; a message above EMAIL_MAX_MESSAGE_BYTES comes with its headers only and a
    note in place of the body."""
    sizes = client.fetch(uids, ["RFC822.SIZE"])
    small = [uid for uid in uids if sizes.get(uid, {}).get(b"RFC822.SIZE", 0) <= settings.EMAIL_MAX_MESSAGE_BYTES]
    large = [uid for uid in uids if uid not in set(small) and uid in sizes]
    bodies = client.fetch(small, ["BODY.PEEK[]"]) if small else {}
    messages = [(uid, bodies[uid][b"BODY[]"]) for uid in small if uid in bodies]
    if large:
        headers = client.fetch(large, ["BODY.PEEK[HEADER]"])
        limit = settings.EMAIL_MAX_MESSAGE_BYTES // (1024 * 1024)
        for uid in large:
            head = headers[uid][b"BODY[HEADER]"].rstrip(b"\r\n")
            note = f"[This message is larger than {limit} MB; only its headers were imported.]".encode()
            kept, skipping = [], False
            for line in head.split(b"\r\n"):
                if not line.startswith((b" ", b"\t")):  # a new header; continuation lines follow their header
                    skipping = line.lower().startswith((b"content-", b"mime-version"))
                if not skipping:
                    kept.append(line)
            stripped = b"\r\n".join(kept)
            messages.append((uid, stripped + b"\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + note + b"\r\n"))
    return sorted(messages)


def _failed(account: EmailAccount, result: SyncResult, message: str, started: float) -> SyncResult:
    logger.warning("Email sync of account %s failed: %s", account.pk, message)
    EmailAccount.objects.filter(pk=account.pk).update(last_error=message[:2000], status=EmailAccount.Status.ERROR)
    result.error = message
    result.seconds = time.monotonic() - started
    return result


def email_accounts_due(*, now=None) -> list[int]:
    """Accounts whose `sync_interval` (minutes) has passed since their last sync (auto_sync on, not paused).
    Accounts in error are retried on their interval too."""
    now = now or timezone.now()
    due = []
    accounts = EmailAccount.objects.filter(auto_sync=True).exclude(status=EmailAccount.Status.PAUSED)
    for account_id, last_sync, interval in accounts.values_list("id", "last_sync", "sync_interval"):
        if last_sync is None or last_sync + timedelta(minutes=max(interval, 1)) <= now:
            due.append(account_id)
    return due
