"""Every table of our apps is in the audit trail (seed 003: "every data modification and configuration change").

A model is either trigger-tracked by django-pghistory (insert, update and delete events, with the request's
context) or listed below with the reason it needs no tracking. A new model fails here until it is one or the other.
"""

import pghistory.models
import pgtrigger
import pytest
from django.apps import apps
from django.db import connection

# label → why no pghistory tracking. Each of these is append-only at the database (a `Protect` trigger refuses
# UPDATE and DELETE; only GDPR erasure scrubs through it), so a row is written once and is its own history: an
# insert event would duplicate it, and no update or delete can happen to record.
APPEND_ONLY = {
    "campaigns.CampaignRecipient": "a campaign's recipient list, frozen when the send starts",
    "campaigns.TrackingEvent": "the raw log of opens, clicks and ESP events of campaign messages",
    "audit.SecurityEvent": "the security log itself",
    "policies.PolicyTransition": "the policy's lifecycle timeline",
    "policies.Endorsement": "immutable, effective-dated mid-term changes",
    "billing.Transaction": "the double-entry ledger: corrections are new bookings",
    "claims.ClaimEvent": "the claim's timeline",
    "claims.ClaimCommunication": "the claim's communications log",
    "claims.ReserveChange": "the reserve's history",
    "renewals.CaseEvent": "the renewal case's timeline",
    "messaging.EmailEvent": "the email's timeline",
    "support.TicketActivity": "the ticket's history, which its SLA clock is replayed from",
    "campaigns.SurveyVersion": "a published survey version is immutable; responses are bound to it",
    "campaigns.SurveyResponse": "a survey answer as given, once per link",
    "assistant.ToolCallRecord": "the record of every AI tool call and refused attempt",
    "assistant.RescindedResponse": "the log of AI answers the guardrails blocked",
}
# label → why no tracking: sums derived from tracked tables by their own triggers, never written by the app; the
# rows they sum are the audited facts, and the sums can be rebuilt from them at any time.
DERIVED = {
    "campaigns.CampaignSendRollup": "a campaign's send figures per variant, channel and day, kept by the statement "
    "triggers of campaign_sends (which pghistory tracks)",
    "customers.CustomerSearchTerm": "each customer's search terms (the lexemes of their search vector), kept by the "
    "statement triggers of customers_customer (which pghistory tracks)",
}
# label → why no tracking: state that belongs to an outside system or mirrors it, rebuilt from it at any time; the
# brokerage's own records it touches (appointments, the calendar connection) are tracked.
SYNC_STATE = {
    "crm.CalendarEventLink": "which calendar event an appointment is, with the etag and hash of the last agreed "
    "version (rebuilt by a full resync; every change it causes is an appointment change, which is tracked)",
    "crm.SandboxCalendarEvent": "the local sandbox provider's stand-in for Google's own event storage",
    "campaigns.TrackingFlush": "which batches of the Redis tracking buffer have been written, so a batch retried "
    "after its flusher died is not written twice (the events it wrote are append-only, the sends it changed tracked)",
}
# Tables Django creates for many-to-many fields, with the reason they need no tracking of their own.
LINK_TABLES = {
    "claims.ClaimCommunication_attachments": "set once, in the same transaction that writes the append-only "
    "communication (claims.services.claim_communication_add); the documents themselves are tracked",
    "crm.LeadAssignmentRule_product_lines": "which product lines a team's lead rule routes: set only in the "
    "admin's rule form (and the demo), whose every save is in the admin's change log naming the changed field; the "
    "rule itself is tracked (pgtrigger cannot install triggers on an auto-created many-to-many table)",
    "support.TicketMessage_attachments": "set once, in the transaction that writes the message "
    "(support.services.ticket_message_add); a merge moves messages, not their files; the documents are tracked",
}


def _our_models(*, include_auto_created: bool) -> list:
    return [
        model
        for model in apps.get_models(include_auto_created=include_auto_created)
        if model._meta.app_config.name.startswith("apps.")
        and not issubclass(model, pghistory.models.Event)  # the history tables themselves
        and not model._meta.proxy
    ]


def _tracked() -> set:
    return {
        event_model.pgh_tracked_model
        for event_model in apps.get_models()
        if issubclass(event_model, pghistory.models.Event) and getattr(event_model, "pgh_tracked_model", None)
    }


def test_every_model_of_our_apps_is_trigger_tracked_or_append_only():
    tracked = _tracked()
    untracked = sorted(
        model._meta.label
        for model in _our_models(include_auto_created=False)
        if model not in tracked and model._meta.label not in {*APPEND_ONLY, *DERIVED, *SYNC_STATE}
    )
    assert untracked == [], f"not in the audit trail: track with @pghistory.track() or justify here: {untracked}"

    links = sorted(
        model._meta.label
        for model in _our_models(include_auto_created=True)
        if model._meta.auto_created and model._meta.label not in LINK_TABLES
    )
    assert links == [], f"many-to-many tables not covered: {links}"


def test_the_exclusions_are_true_and_current():
    """An excluded model really refuses UPDATE and DELETE at the database, and no exclusion is stale."""
    labels = {model._meta.label: model for model in _our_models(include_auto_created=True)}
    assert set(APPEND_ONLY) <= set(labels), set(APPEND_ONLY) - set(labels)
    assert set(LINK_TABLES) <= set(labels), set(LINK_TABLES) - set(labels)
    assert set(DERIVED) <= set(labels), set(DERIVED) - set(labels)
    assert set(SYNC_STATE) <= set(labels), set(SYNC_STATE) - set(labels)
    assert not (set(SYNC_STATE) & {model._meta.label for model in _tracked()})
    assert not (set(DERIVED) & {model._meta.label for model in _tracked()})
    protected = {
        model._meta.label
        for model, trigger in pgtrigger.registered()
        if isinstance(trigger, pgtrigger.Protect)
        and "UPDATE" in str(trigger.operation)
        and "DELETE" in str(trigger.operation)
    }
    assert set(APPEND_ONLY) <= protected, set(APPEND_ONLY) - protected
    assert not (set(APPEND_ONLY) & {model._meta.label for model in _tracked()})  # tracked: drop it from the list


@pytest.mark.django_db
def test_every_tracked_table_has_its_three_triggers_installed():
    """The triggers exist in the migrated database, not only in the models' declarations."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid WHERE NOT t.tgisinternal"
        )
        installed: dict[str, set[str]] = {}
        for table, name in cursor.fetchall():
            installed.setdefault(table, set()).add(name)
    missing = {}
    for model in _tracked():
        if not model._meta.app_config.name.startswith("apps."):
            continue
        names = " ".join(installed.get(model._meta.db_table, ()))
        lacking = [kind for kind in ("insert_insert", "update_update", "delete_delete") if kind not in names]
        if lacking:
            missing[model._meta.label] = lacking
    assert missing == {}
