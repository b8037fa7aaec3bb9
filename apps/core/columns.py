"""Read only the columns a list shows.

A list joins its related rows with `select_related` and Django then reads every column of every joined table:
password hashes and MFA flags of the handler, the search document of the customer, the policy's rating
JSON. Each column is parsed and set on a model instance per row, so on a 50-row page with four joins the
unused columns cost more than the query itself. `list_columns()` turns "these relations, these fields" into
the `.only()` of a queryset; a field the serializer reads but the list forgot would cost one query per row,
which the constant-query-count tests of the lists catch.
"""

from django.db.models import QuerySet

# What a person's summary (id, name, email) reads of a user: `get_full_name()` is first + last name.
PERSON_SUMMARY = ("first_name", "last_name", "email")


def list_columns(queryset: QuerySet, *, skip: tuple[str, ...] = (), related: dict[str, tuple[str, ...]]) -> QuerySet:
    """`queryset.only(...)`: every concrete field of the listed model except `skip`, and of each relation in
    `related` (already `select_related`) only the named fields (its `id` always)."""
    own = [f.name for f in queryset.model._meta.concrete_fields if f.name not in skip]
    joined = list(related)  # the foreign key itself, also of a nested relation
    joined += [f"{relation}__{name}" for relation, names in related.items() for name in ("id", *names)]
    return queryset.only(*own, *joined)
