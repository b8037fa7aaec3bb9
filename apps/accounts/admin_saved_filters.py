"""Saved filters on the back office's lists: an agent names the filters of the list they are looking at ("my
overdue cases"), finds them above that list and on the admin home, keeps them private or shares them with their
team, and deletes their own. Lists also ship defaults per role that work out of the box.

`SavedFiltersMixin` goes on a ModelAdmin before unfold's `ModelAdmin`. It adds two POST views under the list's
URL (save, delete) and the bar above the list (`list_before_template`). What is saved is validated against the
list itself: only the parameters its filters, search box, ordering and date drill-down understand are kept, and
the values must be ones the list accepts. Applying a filter is just opening the list with that query string, so
the list's own row scoping (its selector) decides what anyone sees — a shared filter never widens it.
"""

import copy
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.contrib import messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ORDER_VAR, SEARCH_VAR
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseNotAllowed, HttpResponseRedirect, QueryDict
from django.shortcuts import get_object_or_404
from django.urls import path, reverse

from apps.core import errors

from . import selectors, services

# Never part of a saved filter: the page, the "invalid filter" marker, popup plumbing.
NOT_FILTERS = frozenset({"p", "e", "_popup", "_to_field", "_changelist_filters"})


@dataclass(frozen=True)
class DefaultFilter:
    """A filter every user of `roles` finds on the list without saving it (relative filters such as "mine" and
    "due this week" keep it current)."""

    name: str
    query: str
    roles: frozenset[str] = field(default_factory=frozenset)


def model_label(model) -> str:
    return f"{model._meta.app_label}.{model._meta.model_name}"


def _pairs(query: str) -> list[tuple[str, str]]:
    params = QueryDict(query.lstrip("?"))
    return sorted((key, value) for key in params if key not in NOT_FILTERS for value in params.getlist(key) if value)


class SavedFiltersMixin:
    """Saved and default filters for a changelist (see the module docstring)."""

    saved_filter_defaults: Iterable[DefaultFilter] = ()
    list_before_template = "admin/saved_filters/bar.html"

    # --- what the list understands --------------------------------------------------------------------------

    def _changelist_for(self, request, query: str):
        fake = copy.copy(request)
        fake.method = "GET"
        fake.GET = QueryDict(query)
        fake.POST = QueryDict()
        return self.get_changelist_instance(fake)

    def saved_filter_params(self, request) -> set[str]:
        """The query parameters this list accepts from this user: each filter's own, search, ordering, and the
        date drill-down."""
        changelist = self._changelist_for(request, "")
        names = {name for spec in changelist.filter_specs for name in spec.expected_parameters()}
        if self.get_search_fields(request):
            names.add(SEARCH_VAR)
        names.add(ORDER_VAR)
        if changelist.date_hierarchy:
            names.update(f"{changelist.date_hierarchy}__{part}" for part in ("year", "month", "day"))
        return names

    # --- what the list shows above itself ------------------------------------------------------------------

    def saved_filters_for(self, request, current_query: str = "", saved_filters=None) -> list[dict]:
        """Defaults for the user's role, then their own and their team's saved filters (`saved_filters`, when the
        caller has read them already), each with its link and whether it is the filter the list shows now."""
        base = reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist")
        current = _pairs(current_query)
        entries = [
            {"name": d.name, "url": f"{base}?{d.query}", "kind": "default", "active": _pairs(d.query) == current}
            for d in self.saved_filter_defaults
            if request.user.role in d.roles
        ]
        if saved_filters is None:
            saved_filters = selectors.saved_filters_visible_to(request.user, model_label=model_label(self.model))
        for saved in saved_filters:
            own = saved.owner_id == request.user.pk
            entries.append(
                {
                    "name": saved.name,
                    "url": f"{base}?{saved.query}",
                    "kind": "own" if own else "team",
                    "shared": saved.shared,
                    "owner": saved.owner.get_full_name(),
                    "active": _pairs(saved.query) == current,
                    "delete_url": reverse(self._saved_filter_url_name("delete"), args=[saved.pk]) if own else "",
                }
            )
        return entries

    def changelist_view(self, request, extra_context=None):
        query = request.GET.urlencode()
        extra_context = {
            **(extra_context or {}),
            "saved_filters": self.saved_filters_for(request, query),
            "saved_filter_query": query if _pairs(query) else "",
            "saved_filter_save_url": reverse(self._saved_filter_url_name("save")),
            "saved_filter_can_share": request.user.team_id is not None,
        }
        return super().changelist_view(request, extra_context)

    # --- save and delete ------------------------------------------------------------------------------------

    def _saved_filter_url_name(self, what: str, *, namespaced: bool = True) -> str:
        name = f"{self.opts.app_label}_{self.opts.model_name}_savedfilter_{what}"
        return f"admin:{name}" if namespaced else name

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path(
                "saved-filters/save/",
                wrap(self.saved_filter_save_view),
                name=self._saved_filter_url_name("save", namespaced=False),
            ),
            path(
                "saved-filters/<int:pk>/delete/",
                wrap(self.saved_filter_delete_view),
                name=self._saved_filter_url_name("delete", namespaced=False),
            ),
            *super().get_urls(),
        ]

    def _back_to_list(self, query: str = "") -> HttpResponseRedirect:
        base = reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist")
        return HttpResponseRedirect(f"{base}?{query}" if query else base)

    @staticmethod
    def _list_query(request) -> str:
        return QueryDict(request.POST.get("query", "").lstrip("?")).urlencode()

    def saved_filter_save_view(self, request):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        query = self._list_query(request)
        allowed = self.saved_filter_params(request)
        clean, dropped = services.saved_filter_query_clean(query, allowed=allowed)
        try:
            self._changelist_for(request, clean)  # the values must be ones the list accepts, too
        except (IncorrectLookupParameters, ValidationError, ValueError):
            messages.error(request, "These filters are not valid on this list, so they were not saved.")
            return self._back_to_list(query)
        with errors.as_message(request) as outcome:
            saved = services.saved_filter_create(
                owner=request.user,
                name=request.POST.get("name", ""),
                model_label=model_label(self.model),
                query=clean,
                allowed=allowed,
                shared=request.POST.get("shared") == "on",
            )
        if outcome.failed:
            return self._back_to_list(query)
        note = f" Left out (not filters of this list): {', '.join(dropped)}." if dropped else ""
        audience = "your team" if saved.shared else "you only"
        messages.success(request, f'Saved "{saved.name}" ({audience}).{note}')
        return self._back_to_list(saved.query)

    def saved_filter_delete_view(self, request, pk: int):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        visible = selectors.saved_filters_visible_to(request.user, model_label=model_label(self.model))
        saved = get_object_or_404(visible, pk=pk)
        with errors.as_message(request, about=saved.name) as outcome:
            services.saved_filter_delete(saved_filter=saved, actor=request.user)
        if not outcome.failed:
            messages.success(request, f'Deleted "{saved.name}".')
        return self._back_to_list(self._list_query(request))
