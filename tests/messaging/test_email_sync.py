"""IMAP sync against a real Dovecot: UID cursor, UIDVALIDITY change, mail read elsewhere, nothing stored twice."""

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from imapclient import IMAPClient

from apps.messaging import tasks
from apps.messaging.models import Email, EmailAccount
from apps.messaging.services.email_sync import email_account_sync, email_accounts_due
from tests.factories.messaging import EmailAccountFactory
from tests.messaging.conftest import raw

pytestmark = pytest.mark.django_db


def test_sync_stores_new_mail_including_mail_another_client_already_read(mailbox, imap_server):
    imap_server.deliver(raw(message_id="<a@customer.example>"))
    imap_server.deliver(raw(message_id="<b@customer.example>", subject="Read on my phone"), seen=True)

    result = email_account_sync(account_id=mailbox.pk)

    assert (result.created, result.error) == (2, "")
    assert sorted(Email.objects.values_list("message_id", flat=True)) == [
        "<a@customer.example>",
        "<b@customer.example>",
    ]
    mailbox.refresh_from_db()
    assert mailbox.last_uid == 2
    assert mailbox.uid_validity is not None
    assert mailbox.last_sync is not None


def test_sync_does_not_mark_mail_read_on_the_server(mailbox, imap_server):
    imap_server.deliver(raw(message_id="<unread@customer.example>"))

    email_account_sync(account_id=mailbox.pk)

    client = IMAPClient("127.0.0.1", port=imap_server.port, ssl=False)
    client.login(imap_server.username, imap_server.password)
    client.select_folder("INBOX", readonly=True)
    assert client.search(["UNSEEN"]) == [1]
    client.logout()


def test_second_sync_fetches_only_what_is_new(mailbox, imap_server):
    imap_server.deliver(raw(message_id="<1@customer.example>"))
    email_account_sync(account_id=mailbox.pk)
    imap_server.deliver(raw(message_id="<2@customer.example>"))

    result = email_account_sync(account_id=mailbox.pk)
    again = email_account_sync(account_id=mailbox.pk)

    assert (result.fetched, result.created) == (1, 1)
    assert (again.fetched, again.created) == (0, 0)
    assert Email.objects.count() == 2


def test_new_uidvalidity_resyncs_without_duplicates(mailbox, imap_server):
    imap_server.deliver(raw(message_id="<old1@customer.example>"))
    imap_server.deliver(raw(message_id="<old2@customer.example>"))
    email_account_sync(account_id=mailbox.pk)
    first_validity = EmailAccount.objects.get(pk=mailbox.pk).uid_validity
    # the mailbox is rebuilt on the server: new UIDVALIDITY, the same two messages and one new
    imap_server.reset_mailbox()
    imap_server.deliver(raw(message_id="<old1@customer.example>"))
    imap_server.deliver(raw(message_id="<old2@customer.example>"))
    imap_server.deliver(raw(message_id="<new@customer.example>"))

    result = email_account_sync(account_id=mailbox.pk)

    mailbox.refresh_from_db()
    assert result.resynced is True
    assert mailbox.uid_validity != first_validity
    assert (result.fetched, result.created, result.skipped) == (3, 1, 2)
    assert Email.objects.filter(account=mailbox).count() == 3


def test_mail_without_message_id_is_stored_once_across_a_resync(mailbox, imap_server):
    message = raw(message_id="", subject="No id")
    imap_server.deliver(message)
    email_account_sync(account_id=mailbox.pk)
    imap_server.reset_mailbox()
    imap_server.deliver(message)

    email_account_sync(account_id=mailbox.pk)

    assert Email.objects.filter(subject="No id").count() == 1
    assert Email.objects.get().message_id.endswith("@no-message-id.insureops>")


def test_wrong_password_marks_the_account_in_error_and_stores_nothing(mailbox, imap_server):
    mailbox.password_encrypted = "wrong"
    mailbox.save()
    imap_server.deliver(raw(message_id="<x@customer.example>"))

    result = email_account_sync(account_id=mailbox.pk)

    mailbox.refresh_from_db()
    assert result.error.startswith("Could not sign in")
    assert mailbox.status == EmailAccount.Status.ERROR
    assert Email.objects.count() == 0


def test_password_is_encrypted_at_rest(db):
    account = EmailAccountFactory(password_encrypted="plain-text-secret")

    with connection.cursor() as cursor:
        cursor.execute("SELECT password_encrypted FROM messaging_emailaccount WHERE id = %s", [account.pk])
        stored = cursor.fetchone()[0]

    assert "plain-text-secret" not in stored
    assert EmailAccount.objects.get(pk=account.pk).password_encrypted == "plain-text-secret"


def test_due_accounts_follow_each_sync_interval(db):
    now = timezone.now()
    never = EmailAccountFactory(last_sync=None)
    due = EmailAccountFactory(sync_interval=5, last_sync=now - timedelta(minutes=6))
    EmailAccountFactory(sync_interval=5, last_sync=now - timedelta(minutes=2))
    EmailAccountFactory(sync_interval=1, last_sync=None, auto_sync=False)
    EmailAccountFactory(last_sync=None, status=EmailAccount.Status.PAUSED)

    assert sorted(email_accounts_due(now=now)) == sorted([never.pk, due.pk])


def test_beat_job_syncs_the_due_account(mailbox, imap_server):
    imap_server.deliver(raw(message_id="<beat@customer.example>"))

    queued = tasks.email_sync_due.delay().get()

    assert queued == 1
    assert Email.objects.filter(message_id="<beat@customer.example>").exists()
