"""Base models shared by every bounded context."""

import pgtrigger
from django.db import models
from django.utils import timezone


class TimeStampedModel(models.Model):
    """Adds `created_at` / `updated_at`, maintained by Django (auto_now) on every save."""

    created_at = models.DateTimeField(default=timezone.now, editable=False, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class SoftDeleteQuerySet(models.QuerySet):
    def alive(self) -> "SoftDeleteQuerySet":
        return self.filter(deleted_at__isnull=True)

    def dead(self) -> "SoftDeleteQuerySet":
        return self.filter(deleted_at__isnull=False)


class AliveManager(models.Manager.from_queryset(SoftDeleteQuerySet)):
    """Default manager of soft-deletable models: hides deleted rows."""

    def get_queryset(self) -> SoftDeleteQuerySet:
        return super().get_queryset().filter(deleted_at__isnull=True)


class SoftDeleteModel(models.Model):
    """A row that is hidden rather than removed; restorable, and still in the audit trail.

    `objects` sees live rows only; `all_objects` sees everything (admin restore, audit, GDPR).
    Deleting and restoring are service actions (they are audited); these helpers only set the flag.
    """

    deleted_at = models.DateTimeField(null=True, blank=True, editable=False, db_index=True)
    deleted_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, editable=False, on_delete=models.SET_NULL, related_name="+"
    )

    objects = AliveManager()
    all_objects = models.Manager.from_queryset(SoftDeleteQuerySet)()

    class Meta:
        abstract = True

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    def mark_deleted(self, *, by=None) -> None:
        self.deleted_at = timezone.now()
        self.deleted_by = by
        self.save(update_fields=["deleted_at", "deleted_by", "updated_at"] if hasattr(self, "updated_at") else None)

    def mark_restored(self) -> None:
        self.deleted_at = None
        self.deleted_by = None
        self.save(update_fields=["deleted_at", "deleted_by", "updated_at"] if hasattr(self, "updated_at") else None)


class RealField(models.FloatField):
    """A 4-byte float (`real`): the type of PostgreSQL's `ts_rank`, so sums of stored shares round as it does."""

    def db_type(self, connection) -> str:
        return "real"


class SearchTerm(models.Model):
    """A term index over a model's full-text `search_vector` (`apps.core.search.term_index`): one row per lexeme of
    each record's vector with that lexeme's share of the record's rank. For a one-word prefix query, PostgreSQL's
    `ts_rank(vector, 'word:*')` is the sum, over the vector's lexemes starting with the word, of each one's
    contribution (`calc_rank_or` in tsrank.c), which depends on that lexeme's positions alone: the index answers the
    query and its ranking from a btree range over `lexeme`, with no record read. The concrete model adds the record
    (a `ForeignKey` with `related_name="search_terms"`, part of the primary key with `lexeme`), the columns its
    lists are scoped by, and the statement triggers on the record's table that keep it (see `Customer`)."""

    lexeme = models.TextField()
    share = RealField()

    class Meta:
        abstract = True


def statement_trigger(name: str, operation, func: str) -> pgtrigger.Trigger:
    """An AFTER … FOR EACH STATEMENT trigger (for `Meta.triggers`) whose body `func` reads the statement's rows as
    transition tables — `new_rows` (insert, update) and `old_rows` (update, delete; a truncate has none) — once
    per statement, however many rows it wrote: how derived tables (`CampaignSendRollup`, `SearchTerm` indexes)
    are kept by every writer, bulk and set-based ones included."""
    return pgtrigger.Trigger(
        name=name,
        level=pgtrigger.Statement,
        when=pgtrigger.After,
        operation=operation,
        referencing=None
        if operation is pgtrigger.Truncate  # (no rows to see)
        else pgtrigger.Referencing(
            old=None if operation is pgtrigger.Insert else "old_rows",
            new=None if operation is pgtrigger.Delete else "new_rows",
        ),
        func=func + "\n        RETURN NULL;",
    )
