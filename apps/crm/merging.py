"""Merging a duplicate lead into the record it duplicates, and undoing that.

A duplicate (`lead`) is folded into another lead of the same kind or into an existing contact (a prospect who
turns out to be a client already). Its activities, tasks and appointments are re-pointed at the survivor, the
survivor's empty details are filled from it, and the duplicate is stamped `merged_at` (kept, hidden from the
lists). A `LeadMerge` row records exactly which rows moved and which of the survivor's fields were filled, so
`lead_merge_undo` puts everything back: within CRM_MERGE_UNDO_HOURS, once. Every row change goes through
pghistory's triggers under one context (`crm_merge`), so the audit trail shows the merge and its undo.

Decisions: a converted lead is never folded away (its contact and deal hang off it; merge the contacts); a lead
with a live merge cannot be merged or be a survivor again until that merge is undone or confirmed by time; an
undo leaves alone any survivor field edited since the merge (the later edit wins, and the undo says so).
"""

from datetime import datetime, timedelta

import pghistory
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from apps.accounts.models import User
from apps.core.exceptions import Conflict
from apps.customers.models import Customer

from .models import Activity, Appointment, Lead, LeadKind, LeadMerge, LeadStatus, Task
from .services import STAFF_OWNERS, _keys, _lead_published, lead_rescore

# Survivor details a merge may fill when they are empty (never overwritten: the survivor's own data wins).
FILLABLE = ("last_name", "email", "phone", "city", "notes", "product_interest_id", "estimated_value")
MOVED = {"activities": Activity, "tasks": Task, "appointments": Appointment}


def _blank(value) -> bool:
    return value is None or value == ""


@transaction.atomic
def lead_merge(
    *, lead: Lead, actor: User, into_lead: Lead | None = None, into_customer: Customer | None = None, reason: str = ""
) -> LeadMerge:
    """Fold the duplicate `lead` into `into_lead` (same kind) or `into_customer`; the merge record."""
    if actor.role not in STAFF_OWNERS:
        raise PermissionDenied("Your role cannot merge leads.")
    if (into_lead is None) == (into_customer is None):
        raise ValidationError({"into_lead_id": ["Name one record to merge into: a lead or a contact."]})
    if into_lead is not None and into_lead.pk == lead.pk:
        raise ValidationError({"into_lead_id": ["A lead cannot be merged into itself."]})
    ids = sorted([lead.pk] + ([into_lead.pk] if into_lead is not None else []))
    locked = {row.pk: row for row in Lead.objects.select_for_update().filter(pk__in=ids).order_by("pk")}
    lead = locked[lead.pk]
    if lead.merged_at is not None:
        raise Conflict("This lead was merged already; undo that merge first.")
    if lead.status == LeadStatus.CONVERTED:
        raise Conflict("A converted lead is not merged: its contact and deal hang off it.")
    survivor = locked[into_lead.pk] if into_lead is not None else None
    if survivor is not None:
        if survivor.merged_at is not None:
            raise Conflict("That lead was itself merged into another; merge into the one it became.")
        if survivor.kind != lead.kind:
            raise ValidationError({"into_lead_id": ["A client lead and a recruit lead are not the same prospect."]})
    elif lead.kind != LeadKind.CLIENT:
        raise ValidationError({"into_contact_id": ["Only a client lead can be a duplicate of a contact."]})
    now = timezone.now()
    with pghistory.context(crm_merge=True, merged_lead=lead.pk, by=actor.pk):
        moved = {}
        for name, model in MOVED.items():
            rows = model.objects.select_for_update().filter(lead=lead)
            if survivor is None and model is Appointment:
                rows = rows.filter(customer__isnull=True)  # one already with a contact keeps both links
            moved[name] = sorted(rows.values_list("pk", flat=True))
            if survivor is not None:
                model.objects.filter(pk__in=moved[name]).update(lead=survivor, updated_at=now)
            else:
                model.objects.filter(pk__in=moved[name]).update(lead=None, customer=into_customer, updated_at=now)
        filled = {}
        if survivor is not None:
            for field in FILLABLE:
                theirs = getattr(lead, field)
                if _blank(getattr(survivor, field)) and not _blank(theirs):
                    filled[field] = getattr(survivor, field)
                    setattr(survivor, field, theirs)
            _keys(survivor)
            if lead.last_activity_at and (
                survivor.last_activity_at is None or lead.last_activity_at > survivor.last_activity_at
            ):
                filled.setdefault("last_activity_at", survivor.last_activity_at)
                survivor.last_activity_at = lead.last_activity_at
            lead_rescore(survivor, save=False)
            survivor.save()
        merge = LeadMerge.objects.create(
            lead=lead,
            into_lead=survivor,
            into_customer=into_customer,
            actor=actor,
            reason=(reason or "").strip()[:300],
            moved=moved,
            filled={k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in filled.items()},
            undo_until=now + timedelta(hours=settings.CRM_MERGE_UNDO_HOURS),
        )
        lead.merged_at = now
        lead.save(update_fields=["merged_at", "updated_at"])
    _lead_published(lead, ["merged"])
    if survivor is not None:
        _lead_published(survivor, ["merge", *filled])
    return merge


@transaction.atomic
def lead_merge_undo(*, merge: LeadMerge, actor: User) -> tuple[LeadMerge, list[str]]:
    """Put a merge back: the moved rows return to the duplicate, the survivor's filled fields are emptied again
    (unless edited since: those are listed in the answer), and the duplicate reappears. Within the window, once."""
    if actor.role not in STAFF_OWNERS:
        raise PermissionDenied("Your role cannot undo merges.")
    merge = LeadMerge.objects.select_for_update().get(pk=merge.pk)
    if merge.undone_at is not None:
        raise Conflict("This merge was undone already.")
    now = timezone.now()
    if now > merge.undo_until:
        raise Conflict(
            f"A merge can be undone for {settings.CRM_MERGE_UNDO_HOURS} hours; this one stands.",
            details={"undo_until": merge.undo_until.isoformat()},
        )
    ids = sorted(pk for pk in (merge.lead_id, merge.into_lead_id) if pk)
    locked = {row.pk: row for row in Lead.objects.select_for_update().filter(pk__in=ids).order_by("pk")}
    lead, survivor = locked[merge.lead_id], locked.get(merge.into_lead_id)
    kept: list[str] = []
    with pghistory.context(crm_merge_undo=True, merge=merge.pk, by=actor.pk):
        for name, model in MOVED.items():
            rows = model.objects.filter(pk__in=merge.moved.get(name, []))
            rows = rows.filter(lead=survivor) if survivor is not None else rows.filter(customer=merge.into_customer_id)
            rows.update(lead=lead, **({} if survivor is not None else {"customer": None}), updated_at=now)
        if survivor is not None:
            for field, before in merge.filled.items():
                now_value = getattr(survivor, field)
                theirs = getattr(lead, field)
                if str(now_value) != str(theirs):
                    kept.append(field)  # edited after the merge: the later edit stands
                    continue
                setattr(survivor, field, _restore(field, before))
            _keys(survivor)
            lead_rescore(survivor, save=False)
            survivor.save()
        lead.merged_at = None
        lead.save(update_fields=["merged_at", "updated_at"])
        lead_rescore(lead)
        merge.undone_at = now
        merge.undone_by = actor
        merge.save(update_fields=["undone_at", "undone_by", "updated_at"])
    _lead_published(lead, ["merge_undone"])
    if survivor is not None:
        _lead_published(survivor, ["merge_undone"])
    return merge, kept


def _restore(field: str, before):
    """A filled field's value before the merge: empty ("" or None) — only empty fields are filled — except
    `last_activity_at`, stored as ISO 8601."""
    if field == "last_activity_at" and before:
        return datetime.fromisoformat(before)
    return before
