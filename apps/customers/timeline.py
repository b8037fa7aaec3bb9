"""What other apps link to a record's timeline (hook `records.timeline`): the emails about a customer, a policy, a
claim or a renewal case, each with the reason it is linked ("subject names CLM-…"). Used by those records' API
timelines (`linked`) and their admin pages, which cannot import the apps that provide the entries."""

from django.contrib import admin
from django.utils.html import format_html, format_html_join

from apps.accounts.models import User

from .hooks import record_timeline

KINDS = ("customer", "policy", "claim", "case")


def linked_entries(*, kind: str, object_id: int, user: User) -> list[dict]:
    """Every provider's entries for the record, newest first."""
    if kind not in KINDS:
        raise ValueError(f"Unknown record kind {kind!r}.")
    entries: list[dict] = []
    for provider in record_timeline.providers():
        entries += provider(kind=kind, object_id=object_id, user=user)
    return sorted(entries, key=lambda entry: (entry["occurred_at"], entry["id"]), reverse=True)


def linked_entries_html(entries: list[dict]) -> str:
    """The entries as a small table for an admin page (each opens its own record)."""
    if not entries:
        return "—"
    return format_html(
        '<table class="linked-timeline">{}</table>',
        format_html_join(
            "",
            '<tr><td style="padding-right:1rem;white-space:nowrap">{}</td><td style="padding-right:1rem">{} {}</td>'
            '<td style="padding-right:1rem"><a href="{}">{}</a></td><td><i>{}</i></td></tr>',
            (
                (
                    f"{entry['occurred_at']:%d %b %Y %H:%M}",
                    {"inbound": "←", "outbound": "→"}.get(entry["direction"], "·"),
                    entry["party"],
                    entry["admin_url"],
                    entry["title"] or "(no subject)",
                    entry["reason"],
                )
                for entry in entries
            ),
        ),
    )


class LinkedTimelineAdminMixin:
    """An admin change page showing the record's linked entries (readonly field `linked_timeline`): they are read
    with the object, for the person asking (`get_object` has the request; a display method does not)."""

    linked_kind = ""

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)  # type: ignore[misc]
        if obj is not None:
            obj._linked_entries = linked_entries(kind=self.linked_kind, object_id=obj.pk, user=request.user)
        return obj

    @admin.display(description="Emails (and why they are linked)")
    def linked_timeline(self, obj):
        return linked_entries_html(getattr(obj, "_linked_entries", None) or [])
