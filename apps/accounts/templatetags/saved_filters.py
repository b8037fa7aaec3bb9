"""`{% saved_filters_home %}`: the admin home's card of saved filters, grouped by list."""

from django import template
from django.contrib import admin

from apps.accounts import selectors
from apps.accounts.admin_saved_filters import SavedFiltersMixin, model_label

register = template.Library()


@register.inclusion_tag("admin/saved_filters/home.html", takes_context=True)
def saved_filters_home(context) -> dict:
    """Every list with saved filters that the user may open: its defaults for their role, their own and their
    team's shared filters."""
    request = context["request"]
    by_list: dict[str, list] = {}
    for saved in selectors.saved_filters_visible_to(request.user):  # one query for every list
        by_list.setdefault(saved.model_label, []).append(saved)
    groups = []
    for model, model_admin in admin.site._registry.items():
        if not isinstance(model_admin, SavedFiltersMixin) or not model_admin.has_view_or_change_permission(request):
            continue
        entries = model_admin.saved_filters_for(request, saved_filters=by_list.get(model_label(model), []))
        if entries:
            groups.append({"title": str(model._meta.verbose_name_plural).capitalize(), "entries": entries})
    return {"groups": sorted(groups, key=lambda group: group["title"])}
