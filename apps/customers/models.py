"""Customers (seed 004's "Contact") and their interaction log."""

import pghistory
import pgtrigger
from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector, SearchVectorField
from django.db import models
from django.db.models import F, Func, Q, Value
from django.db.models.fields.json import KT
from django.db.models.functions import Lower
from encrypted_fields.fields import EncryptedCharField

from apps.core.models import SearchTerm, SoftDeleteModel, TimeStampedModel, statement_trigger
from apps.core.validators import e164_validator

CUSTOMER_CODE_SEQUENCE = "customers_customer_code_seq"

# An old and a new row of an update whose search terms stay as they are: the same customer, lexemes, agent and
# liveness (an update of anything else: `updated_at`, consents, KYC).
_TERMS_KEPT = (
    "o.id = n.id AND o.search_vector IS NOT DISTINCT FROM n.search_vector"
    " AND o.agent_id IS NOT DISTINCT FROM n.agent_id AND (o.deleted_at IS NULL) = (n.deleted_at IS NULL)"
)
# A lexeme as tsquery input: quoted, its quotes and backslashes doubled.
_LEXEME_QUERY = "('''' || replace(replace(t.lexeme, '\\', '\\\\'), '''', '''''') || '''')::tsquery"


def search_terms_insert_sql(customers: str) -> str:
    """The search terms of `customers` (a transition table of the triggers, or `customers_customer` itself for the
    backfill): each lexeme of the vector with its share, `ts_rank` of the vector against that lexeme alone, and the
    customer's agent and liveness."""
    return f"""
        INSERT INTO customers_search_terms (customer_id, lexeme, share, agent_id, live)
        SELECT c.id, t.lexeme, ts_rank(c.search_vector, {_LEXEME_QUERY}), c.agent_id, c.deleted_at IS NULL
        FROM {customers} AS c CROSS JOIN LATERAL unnest(c.search_vector) AS t;"""  # noqa: S608


SEARCH_TERM_TRIGGERS = [
    statement_trigger("search_terms_insert", pgtrigger.Insert, search_terms_insert_sql("new_rows")),
    # The terms of each old row without a kept new one go, and each new row without a kept old one is written (a
    # change of the id itself, which nothing makes, included).
    statement_trigger(
        "search_terms_update",
        pgtrigger.Update,
        f"""
        DELETE FROM customers_search_terms AS s USING old_rows AS o
        WHERE s.customer_id = o.id AND NOT EXISTS (SELECT FROM new_rows AS n WHERE {_TERMS_KEPT});"""  # noqa: S608
        + search_terms_insert_sql(
            f"(SELECT * FROM new_rows AS n WHERE NOT EXISTS (SELECT FROM old_rows AS o WHERE {_TERMS_KEPT}))"  # noqa: S608
        ),
    ),
    statement_trigger(
        "search_terms_delete",
        pgtrigger.Delete,
        "\n        DELETE FROM customers_search_terms AS s USING old_rows AS o WHERE s.customer_id = o.id;",
    ),
    # A TRUNCATE deletes no row one by one, and no foreign key cascades from the customers to their terms.
    statement_trigger("search_terms_truncate", pgtrigger.Truncate, "\n        DELETE FROM customers_search_terms;"),
]


class KycStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    IN_REVIEW = "in_review", "In review"
    VERIFIED = "verified", "Verified"
    REJECTED = "rejected", "Rejected"
    EXPIRED = "expired", "Expired"


@pghistory.track(exclude=["national_id", "search_vector"])
class Customer(SoftDeleteModel, TimeStampedModel):
    """A person the brokerage insures (or may insure): identity, contact, KYC and communication consent.

    `national_id` is Fernet-encrypted at rest; `national_id_hash` (HMAC blind index) allows exact
    lookup. The audit trail tracks the hash, never the ciphertext (which changes on every save).
    """

    permission_module = "customers"

    customer_code = models.CharField(max_length=20, unique=True, editable=False)
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    email = models.EmailField(max_length=255, blank=True)
    phone = models.CharField(max_length=20, blank=True, validators=[e164_validator])
    date_of_birth = models.DateField(null=True, blank=True)
    address = models.JSONField(default=dict, blank=True)
    national_id = EncryptedCharField(max_length=64, blank=True, null=True)
    national_id_hash = models.CharField(max_length=64, blank=True, editable=False, db_index=True)
    kyc_status = models.CharField(max_length=20, choices=KycStatus.choices, default=KycStatus.PENDING)
    kyc_documents = models.JSONField(default=list, blank=True)
    communication_preferences = models.JSONField(default=dict, blank=True)
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="customers",
        limit_choices_to={"role__in": ["agent", "manager", "admin"]},
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="customer_profile"
    )
    erased_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Full-text search over code, names, email (also split at @ and dots) and phone digits; 'simple' config:
    # names are not stemmed. Kept by PostgreSQL itself, so bulk inserts are indexed too.
    search_vector = models.GeneratedField(
        expression=SearchVector(
            "customer_code",
            "first_name",
            "last_name",
            "email",
            Func(F("email"), Value("@.-_+"), Value("     "), function="translate"),
            Func(F("phone"), Value(r"\D"), Value(""), Value("g"), function="regexp_replace"),
            Func(F("customer_code"), Value(r"\D"), Value(""), Value("g"), function="regexp_replace"),
            config="simple",
        ),
        output_field=SearchVectorField(),
        db_persist=True,
    )

    class Meta:
        ordering = ["last_name", "first_name", "id"]
        indexes = [
            GinIndex(fields=["search_vector"], name="customers_search_gin"),
            models.Index(fields=["kyc_status"], name="customers_kyc_status"),
            models.Index(fields=["agent", "last_name"], name="customers_agent_name"),
            models.Index(Lower(KT("address__city")), name="customers_city_ci"),
            models.Index(Lower("email"), name="customers_email_ci"),
            # inbound SMS/WhatsApp find their sender by number (messaging.services.addresses.customer_for_address)
            models.Index(fields=["phone"], name="customers_phone", condition=~Q(phone="")),
            models.Index(fields=["created_at"], name="customers_created", condition=Q(deleted_at__isnull=True)),
            # The default list order (live rows by name), so a page is an index range scan, not a sort.
            models.Index(
                fields=["last_name", "first_name", "id"],
                name="customers_name_order",
                condition=Q(deleted_at__isnull=True),
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["national_id_hash"],
                condition=~Q(national_id_hash="") & Q(deleted_at__isnull=True),
                name="customers_unique_national_id",
            ),
        ]
        # the term index of `search_vector` (CustomerSearchTerm), kept by every writer, bulk ones included
        triggers = SEARCH_TERM_TRIGGERS

    def __str__(self) -> str:
        return f"{self.customer_code} {self.first_name} {self.last_name}"

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def city(self) -> str:
        return (self.address or {}).get("city", "")


class CustomerSearchTerm(SearchTerm):
    """One lexeme of a customer's `search_vector` and its share of the customer's rank, with the two columns the
    customers list is scoped by (the agent, and whether the customer is live), so that a one-word name search finds
    and ranks its matches from the index alone (`apps.core.search.ranked_by_terms`): the 4,000 Smiths of 100k
    customers are ~4,000 index entries instead of ~3,000 customer pages. Written only by the triggers on
    `customers_customer` (`SEARCH_TERM_TRIGGERS`), in the statement that changes the customer."""

    pk = models.CompositePrimaryKey("customer_id", "lexeme")
    customer = models.ForeignKey(
        Customer, on_delete=models.DO_NOTHING, db_constraint=False, db_index=False, related_name="search_terms"
    )
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
    )
    live = models.BooleanField()

    class Meta:
        db_table = "customers_search_terms"
        indexes = [
            # `lexeme LIKE 'smi%'` is a range of it, and each entry carries all a search reads: an index-only scan
            models.Index(
                fields=["lexeme"],
                opclasses=["text_pattern_ops"],
                include=["customer", "share", "agent", "live"],
                name="customers_search_terms_prefix",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.lexeme}"


@pghistory.track()
class Interaction(TimeStampedModel):
    """One contact with a customer (call, email, meeting, SMS, note), written by staff."""

    permission_module = "customers"

    class Type(models.TextChoices):
        CALL = "call", "Call"
        EMAIL = "email", "Email"
        MEETING = "meeting", "Meeting"
        SMS = "sms", "SMS"
        NOTE = "note", "Note"

    class Direction(models.TextChoices):
        INBOUND = "inbound", "Inbound"
        OUTBOUND = "outbound", "Outbound"
        INTERNAL = "internal", "Internal"

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="interactions")
    type = models.CharField(max_length=20, choices=Type.choices)
    direction = models.CharField(max_length=20, choices=Direction.choices, default=Direction.OUTBOUND)
    channel = models.CharField(max_length=50, blank=True)
    summary = models.TextField(max_length=5000)
    occurred_at = models.DateTimeField()
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [models.Index(fields=["customer", "-occurred_at"], name="interactions_customer_time")]

    def __str__(self) -> str:
        return f"{self.get_type_display()} with {self.customer_id} at {self.occurred_at:%Y-%m-%d %H:%M}"
