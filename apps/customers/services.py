"""Customer and interaction use-cases, GDPR export and erasure."""

import io
import json
import zipfile
from collections.abc import Hashable, Mapping
from datetime import timedelta
from typing import NamedTuple

import pghistory
import pgtrigger
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models.functions import Lower
from django.utils import timezone

from apps.accounts.models import User
from apps.accounts.roles import Role
from apps.audit.models import SecurityEvent
from apps.audit.services import security_event_record
from apps.core.bulk import copy_insert
from apps.core.crypto import blind_index
from apps.core.erasure import scrub
from apps.core.events import publish, role_group, user_group
from apps.core.exceptions import Conflict
from apps.core.sequences import sequence_next_values

from .hooks import gdpr_erase, gdpr_export
from .models import CUSTOMER_CODE_SEQUENCE, Customer, Interaction

NATIONAL_ID_PURPOSE = "customer.national_id"
INTERACTION_EDIT_WINDOW = timedelta(hours=24)

# What each kind of actor may change on a customer record.
STAFF_FIELDS = {
    "first_name",
    "last_name",
    "email",
    "phone",
    "date_of_birth",
    "address",
    "national_id",
    "kyc_status",
    "kyc_documents",
    "communication_preferences",
    "agent",
}
SELF_SERVICE_FIELDS = {"email", "phone", "address", "communication_preferences"}
REQUIRED_ON_PUT = {"first_name", "last_name"}
# PUT replaces the person's details; assignment and KYC state are managed separately and never reset by it.
RESET_ON_PUT = {"email", "phone", "date_of_birth", "address", "national_id", "communication_preferences"}


def customer_codes_reserve(count: int) -> list[str]:
    return [f"CUS-{n:07d}" for n in sequence_next_values(CUSTOMER_CODE_SEQUENCE, count)]


def national_id_hash(value: str | None) -> str:
    return blind_index(value or "", purpose=NATIONAL_ID_PURPOSE)


def _check_national_id_unique(customer: Customer) -> None:
    if (
        customer.national_id_hash
        and Customer.objects.filter(national_id_hash=customer.national_id_hash).exclude(pk=customer.pk).exists()
    ):
        raise ValidationError({"national_id": ["Another customer has this national ID."]})


def _check_agent(agent: User | None) -> None:
    if agent is not None and (agent.role not in (Role.AGENT, Role.MANAGER, Role.ADMIN) or not agent.is_active):
        raise ValidationError({"agent": ["Must be an active agent, manager or admin."]})


def _audience(customer: Customer) -> list[str]:
    audience = [role_group(Role.MANAGER)]
    if customer.agent_id:
        audience.append(user_group(customer.agent_id))
    return audience


def customer_changes_check(*, customer: Customer | None, changes: dict) -> None:
    """The cross-record rules (agent role, unique national ID) without writing; admin forms show them inline."""
    if "agent" in changes:
        _check_agent(changes["agent"])
    if changes.get("national_id"):
        probe = Customer(
            pk=customer.pk if customer else None, national_id_hash=national_id_hash(changes["national_id"])
        )
        _check_national_id_unique(probe)


@transaction.atomic
def customer_create(*, actor: User, first_name: str, last_name: str, **fields) -> Customer:
    """Create a customer; agents creating one become its agent unless they name another."""
    unknown = set(fields) - STAFF_FIELDS
    if unknown:
        raise ValidationError({name: ["Unknown field."] for name in sorted(unknown)})
    if "agent" not in fields and actor.role == Role.AGENT:
        fields["agent"] = actor
    _check_agent(fields.get("agent"))
    customer = Customer(first_name=first_name.strip(), last_name=last_name.strip(), **fields)
    customer.email = (customer.email or "").strip().lower()
    customer.national_id_hash = national_id_hash(customer.national_id)
    customer.customer_code = customer_codes_reserve(1)[0]
    _check_national_id_unique(customer)
    customer.full_clean(exclude=["search_vector"])
    customer.save()
    publish(
        "customer:created",
        {"customer_id": customer.pk, "customer_code": customer.customer_code},
        audience=_audience(customer),
    )
    return customer


@transaction.atomic
def customer_update(*, customer: Customer, actor: User, replace: bool = False, **changes) -> Customer:
    """PATCH (or PUT with `replace=True`): staff edit any field; a customer edits contact fields and preferences."""
    allowed = SELF_SERVICE_FIELDS if actor.role == Role.CUSTOMER else STAFF_FIELDS
    forbidden = set(changes) - allowed
    if forbidden:
        raise ValidationError({name: ["You cannot change this field."] for name in sorted(forbidden)})
    if replace:
        missing = REQUIRED_ON_PUT - set(changes)
        if missing:
            raise ValidationError({name: ["This field is required."] for name in sorted(missing)})
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    if replace:  # PUT: fields not given go back to their defaults
        for name in (RESET_ON_PUT & allowed) - set(changes):
            setattr(customer, name, Customer._meta.get_field(name).get_default())  # type: ignore[union-attr]  # concrete fields
    if "agent" in changes:
        _check_agent(changes["agent"])
    for name, value in changes.items():
        setattr(customer, name, value.strip().lower() if name == "email" and value else value)
    customer.national_id_hash = national_id_hash(customer.national_id)
    _check_national_id_unique(customer)
    customer.full_clean(exclude=["search_vector"])
    customer.save()
    publish("customer:updated", {"customer_id": customer.pk, "fields": sorted(changes)}, audience=_audience(customer))
    return customer


@transaction.atomic
def customer_delete(*, customer: Customer, actor: User) -> None:
    """Soft delete: hidden from every list and lookup, kept for the audit trail, restorable by an admin."""
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    customer.mark_deleted(by=actor)


@transaction.atomic
def customer_restore(*, customer_id: int, actor: User) -> Customer:
    if actor.role != Role.ADMIN:
        raise PermissionDenied("Only administrators restore customers.")
    customer = Customer.all_objects.select_for_update().get(pk=customer_id)
    if customer.deleted_at is None:
        return customer
    customer.mark_restored()
    _check_national_id_unique(customer)
    return customer


class CustomerRecord(NamedTuple):
    """A person as an import (a renewal sheet) knows them."""

    first_name: str
    last_name: str
    email: str = ""
    phone: str = ""
    customer_code: str = ""


class MatchedCustomer(NamedTuple):
    id: int
    agent_id: int | None
    created: bool


def _natural_key(record: CustomerRecord) -> tuple[str, str] | None:
    if record.customer_code:
        return ("code", record.customer_code)
    if record.email:
        return ("email", record.email)
    return None  # nothing to match on: a customer of its own


@transaction.atomic
def customers_match_or_create_bulk[K: Hashable](
    *, people: Mapping[K, CustomerRecord], agent_id: int | None = None
) -> dict[K, MatchedCustomer]:
    """Find or create the customers of an import, set-based and by COPY: the caller's key -> MatchedCustomer.

    A record matches a live customer by its customer code, else by email (case-insensitive; the oldest customer
    with it). The rest are created — with the record's code when it has one, else a new one — and assigned to
    `agent_id`. Records with the same code (or, without one, the same email) are one customer, created once with
    the first record's details; a record with neither is a customer of its own. The audit trail records the
    inserts under the caller's pghistory context.
    """
    people = {
        key: r._replace(
            first_name=r.first_name.strip(),
            last_name=r.last_name.strip(),
            email=r.email.strip().lower(),
            phone=r.phone.strip(),
            customer_code=r.customer_code.strip(),
        )
        for key, r in people.items()
    }
    wanted = {natural for r in people.values() if (natural := _natural_key(r)) is not None}
    codes = [value for kind, value in wanted if kind == "code"]
    emails = [value for kind, value in wanted if kind == "email"]
    found: dict[tuple[str, Hashable], MatchedCustomer] = {}
    if codes:
        for pk, code, agent in Customer.objects.filter(customer_code__in=codes).values_list(
            "pk", "customer_code", "agent_id"
        ):
            found[("code", code)] = MatchedCustomer(pk, agent, False)
    if emails:
        for pk, email, agent in (
            Customer.objects.annotate(email_ci=Lower("email"))
            .filter(email_ci__in=emails)
            .order_by("created_at", "pk")
            .values_list("pk", "email_ci", "agent_id")
        ):
            found.setdefault(("email", email), MatchedCustomer(pk, agent, False))
    missing: dict[tuple[str, Hashable], CustomerRecord] = {}  # natural key (else the caller's) -> record to create
    for key, r in people.items():
        natural = _natural_key(r)
        if natural is None:
            missing[("key", key)] = r
        elif natural not in found:
            missing.setdefault(natural, r)
    if missing:
        without_code = sum(1 for r in missing.values() if not r.customer_code)
        reserved = iter(customer_codes_reserve(without_code) if without_code else ())
        codes_new = [r.customer_code or next(reserved) for r in missing.values()]
        copy_insert(
            Customer,
            ["customer_code", "first_name", "last_name", "email", "phone", "agent"],
            (
                (code, r.first_name, r.last_name, r.email, r.phone, agent_id)
                for code, r in zip(codes_new, missing.values(), strict=True)
            ),
        )
        by_code = dict(Customer.objects.filter(customer_code__in=codes_new).values_list("customer_code", "pk"))
        for code, missing_key in zip(codes_new, missing, strict=True):
            found[missing_key] = MatchedCustomer(by_code[code], agent_id, True)
    return {key: found[_natural_key(r) or ("key", key)] for key, r in people.items()}


LINK_SALT = "customers.account-link"
LINK_MAX_AGE = 2 * 24 * 3600


def customer_link_request_send(*, user: User, customer: Customer) -> None:
    from django.conf import settings
    from django.core import signing
    from django.template.loader import render_to_string

    from apps.core.tasks import send_email

    token = signing.dumps({"u": user.pk, "c": customer.pk}, salt=LINK_SALT)
    context = {"user": user, "link": f"{settings.SITE_URL}/account/link?token={token}"}
    body = render_to_string("emails/link_account.txt", context)
    to = [user.email]
    transaction.on_commit(
        lambda: send_email.delay(subject="Confirm your InsureOps account", body=body, to=to), robust=True
    )


@transaction.atomic
def customer_link_confirm(*, user: User, token: str) -> Customer:
    """Link the customer record named in a mailed token to the signed-in user who received it."""
    from django.core import signing

    try:
        data = signing.loads(token, salt=LINK_SALT, max_age=LINK_MAX_AGE)
    except signing.BadSignature:
        raise ValidationError("This link is not valid any more; sign in and ask for a new one.") from None
    if data.get("u") != user.pk:
        raise ValidationError("This link was sent to another account.")
    customer = Customer.objects.select_for_update().filter(pk=data.get("c"), user__isnull=True).first()
    if customer is None or customer.email.lower() != user.email.lower():
        raise ValidationError("There is nothing to link any more.")
    if getattr(user, "customer_profile", None) is not None:
        raise ValidationError("Your account already has a customer record.")
    customer.user = user
    customer.save(update_fields=["user", "updated_at"])
    return customer


@transaction.atomic
def customer_link_or_create_for_user(*, user: User) -> Customer:
    """Trusted callers only (demo data, staff tools): links an unlinked record with the user's email, or creates
    one. Self-registration goes through subscribers.on_account_registered, which verifies the address first."""
    existing = getattr(user, "customer_profile", None)
    if existing is not None:
        return existing
    match = (
        Customer.objects.select_for_update()
        .filter(email__iexact=user.email, user__isnull=True)
        .order_by("created_at")
        .first()
    )
    if match is not None:
        match.user = user
        match.save(update_fields=["user", "updated_at"])
        return match
    customer = Customer(
        first_name=user.first_name,
        last_name=user.last_name,
        email=user.email,
        phone=user.phone,
        user=user,
        customer_code=customer_codes_reserve(1)[0],
    )
    customer.full_clean(exclude=["search_vector"])
    customer.save()
    return customer


# --- interactions ---------------------------------------------------------------------------------


@transaction.atomic
def interaction_create(
    *,
    customer: Customer,
    author: User,
    type: str,  # noqa: A002  (the API field name)
    summary: str,
    occurred_at=None,
    direction: str = Interaction.Direction.OUTBOUND,
    channel: str = "",
) -> Interaction:
    """Log a contact with a customer."""
    occurred_at = occurred_at or timezone.now()
    if occurred_at > timezone.now() + timedelta(minutes=5):
        raise ValidationError({"occurred_at": ["Cannot be in the future."]})
    interaction = Interaction(
        customer=customer,
        author=author,
        type=type,
        summary=summary.strip(),
        occurred_at=occurred_at,
        direction=direction,
        channel=channel,
    )
    interaction.full_clean()
    interaction.save()
    return interaction


@transaction.atomic
def interaction_update(*, interaction: Interaction, actor: User, **changes) -> Interaction:
    """Edit a log entry: its author within 24 hours of writing it, or a manager/admin at any time."""
    interaction = Interaction.objects.select_for_update().get(pk=interaction.pk)
    is_author = interaction.author_id == actor.pk
    within_window = timezone.now() - interaction.created_at <= INTERACTION_EDIT_WINDOW
    if actor.role not in (Role.ADMIN, Role.MANAGER) and not (is_author and within_window):
        raise PermissionDenied("Only the author within 24 hours, or a manager, may change an interaction.")
    if changes.get("occurred_at") and changes["occurred_at"] > timezone.now() + timedelta(minutes=5):
        raise ValidationError({"occurred_at": ["Cannot be in the future."]})
    for name, value in changes.items():
        setattr(interaction, name, value)
    interaction.full_clean()
    interaction.save()
    return interaction


@transaction.atomic
def interaction_delete(*, interaction: Interaction, actor: User, reason: str, request=None) -> None:
    """Remove a log entry (admins only). The reason is stored with the delete event in the audit trail."""
    if actor.role != Role.ADMIN:
        raise PermissionDenied("Only administrators delete interactions.")
    reason = (reason or "").strip()
    if len(reason) < 5:
        raise ValidationError({"reason": ["Give a reason (at least 5 characters)."]})
    with pghistory.context(deletion_reason=reason, deleted_by=actor.pk):
        Interaction.objects.filter(pk=interaction.pk).delete()


def _scrub_history(customer: Customer) -> None:
    """Anonymise the personal fields in this person's audit snapshots too, else erasure erases nothing.

    The audit tables refuse UPDATE; this is the one sanctioned exception, done inside the erasure
    transaction (whose own context records who erased and why).
    """
    customer_events, interaction_events, user_events = (  # pghistory.track adds pgh_event_model at runtime
        Customer.pgh_event_model,  # type: ignore[attr-defined]
        Interaction.pgh_event_model,  # type: ignore[attr-defined]
        User.pgh_event_model,  # type: ignore[attr-defined]
    )
    triggers = [f"{m._meta.label}:append_only" for m in (customer_events, interaction_events, user_events)]
    with pgtrigger.ignore(*triggers):
        customer_events.objects.filter(pgh_obj_id=customer.pk).update(
            first_name="Erased",
            last_name=customer.customer_code,
            email="",
            phone="",
            date_of_birth=None,
            address={},
            national_id_hash="",
            kyc_documents=[],
            communication_preferences={},
        )
        interaction_events.objects.filter(customer_id=customer.pk).update(summary="[erased]")
        if customer.user_id:
            erased_email = f"erased-{customer.user_id}@invalid.insureops"
            user_events.objects.filter(pgh_obj_id=customer.user_id).update(
                first_name="Erased", last_name=customer.customer_code, phone="", email=erased_email
            )
            # Security events stay (security log: who signed in when and from where), without the old address.
            scrub(SecurityEvent.objects.filter(user_id=customer.user_id), email=erased_email)


# --- GDPR -----------------------------------------------------------------------------------------


def customer_export_data(customer: Customer) -> dict:
    """Everything we hold about the person, as JSON-ready data (documents are added by the zip builder)."""
    interactions = list(
        customer.interactions.order_by("occurred_at").values("type", "direction", "channel", "summary", "occurred_at")
    )
    return {
        "exported_at": timezone.now(),
        "customer": {
            "customer_code": customer.customer_code,
            "first_name": customer.first_name,
            "last_name": customer.last_name,
            "email": customer.email,
            "phone": customer.phone,
            "date_of_birth": customer.date_of_birth,
            "address": customer.address,
            "national_id": customer.national_id,
            "kyc_status": customer.kyc_status,
            "communication_preferences": customer.communication_preferences,
            "created_at": customer.created_at,
        },
        "interactions": interactions,
        **_account_export(customer),
    }


def _account_export(customer: Customer) -> dict:
    """The person's portal sign-in and its security history (sign-ins, MFA, password changes, exports)."""
    user = customer.user
    if user is None:
        return {"account": None, "security_events": []}
    events = SecurityEvent.objects.filter(user_id=user.pk).order_by("occurred_at", "id")
    return {
        "account": {
            "email": user.email,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "phone": user.phone,
            "date_joined": user.date_joined,
            "last_login": user.last_login,
            "mfa_enabled": user.mfa_enabled,
        },
        "security_events": list(events.values("kind", "occurred_at", "ip_address", "user_agent")),
    }


def customer_export(*, customer: Customer, actor: User, request=None) -> bytes:
    """A zip with `data.json` plus what other apps contribute (hook `gdpr.export`): policies, payments, claims,
    cases, notifications, documents... Logged as an export."""
    buffer = io.BytesIO()
    data = customer_export_data(customer)
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        # Every other app holding the person's data adds its part (documents, policies, billing, claims, ...).
        for contribute in gdpr_export.providers():
            data.update(contribute(customer, archive, for_customer=bool(actor and actor.role == Role.CUSTOMER)))
        archive.writestr("data.json", json.dumps(data, cls=DjangoJSONEncoder, indent=2))
        archive.writestr(
            "README.txt",
            "Personal data held by InsureOps about you (GDPR art. 15 and 20).\n"
            "data.json is machine-readable; contact your broker with any question.\n",
        )
    security_event_record(
        kind=SecurityEvent.Kind.EXPORT,
        request=request,
        user=actor,
        details={"customer_id": customer.pk, "kind": "gdpr_export"},
    )
    return buffer.getvalue()


@transaction.atomic
def customer_erase(*, customer: Customer, actor: User, reason: str, request=None) -> Customer:
    """Right to erasure: anonymise personal fields here and in every app holding them (hook `gdpr.erase`); keep
    the record and what must be retained (contracts, money, claim history: numbers, dates, amounts)."""
    if actor.role != Role.ADMIN:
        raise PermissionDenied("Only administrators erase personal data.")
    reason = (reason or "").strip()
    if len(reason) < 5:
        raise ValidationError({"reason": ["Give a reason (at least 5 characters)."]})
    customer = Customer.all_objects.select_for_update().get(pk=customer.pk)
    if customer.erased_at is not None:
        raise Conflict("This customer's personal data has already been erased.", code="already_erased")
    with pghistory.context(erasure_reason=reason, erased_by=actor.pk):
        # Every other app scrubs what it holds about the person (hook `gdpr.erase`), first: while the record
        # still has the name, a provider can find free texts that name them.
        for erase in gdpr_erase.providers():
            erase(customer)
        customer.first_name = "Erased"
        customer.last_name = customer.customer_code
        customer.email = ""
        customer.phone = ""
        customer.date_of_birth = None
        customer.address = {}
        customer.national_id = None
        customer.national_id_hash = ""
        customer.kyc_documents = []
        customer.communication_preferences = {}
        customer.erased_at = timezone.now()
        customer.save()
        customer.interactions.update(summary="[erased]")
        if customer.user_id:
            User.objects.filter(pk=customer.user_id).update(
                is_active=False,
                first_name="Erased",
                last_name=customer.customer_code,
                phone="",
                email=f"erased-{customer.user_id}@invalid.insureops",
            )
        _scrub_history(customer)
    security_event_record(
        kind=SecurityEvent.Kind.ERASURE,
        request=request,
        user=actor,
        details={"customer_id": customer.pk, "reason": reason},
    )
    return customer
