"""The framework floor: bare Django views sending the same SQL as the API lists, rendered with orjson.

Each view builds the API's queryset for the same user (the selector, its joins and deferred columns, the
filters, the order), then sends exactly that page query through a cursor and dumps the rows as they come,
and counts through the same `counted()` as the API's pagination. No DRF, no serializers, no model
instances, no authentication, no permissions — what any Python stack would pay at least for the same data.
Mounted at /bench/floor/ only when settings.BENCH_FLOOR is true.
"""

from functools import cache

import orjson
from django.contrib.postgres.search import SearchRank
from django.db import connection
from django.db.models import F
from django.db.models.fields.json import KT
from django.db.models.functions import Lower
from django.http import HttpResponse

from apps.core.api.filters import prefix_tsquery
from apps.core.api.pagination import counted


@cache
def _manager():
    from apps.accounts.models import User

    return User.objects.get(email="manager@example.com")


def _page(request):
    limit = min(int(request.GET.get("limit", 20)), 100)
    page = max(int(request.GET.get("page", 1)), 1)
    return limit, (page - 1) * limit


def _respond(key: str, queryset, request) -> HttpResponse:
    limit, offset = _page(request)
    total, _ = counted(queryset)
    sql, params = queryset[offset : offset + limit].query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        names = [column.name for column in cursor.description]
        rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    body = orjson.dumps({key: rows, "total": total}, default=str, option=orjson.OPT_NON_STR_KEYS)
    return HttpResponse(body, content_type="application/json")


def customers(request):
    from apps.customers.api.views import CustomerListCreateApi

    qs = CustomerListCreateApi().visible_queryset(_manager())
    if city := request.GET.get("city"):
        qs = qs.annotate(city_ci=Lower(KT("address__city"))).filter(city_ci=city.lower())
    if kyc := request.GET.get("kyc_status"):
        qs = qs.filter(kyc_status=kyc)
    order = ("last_name", "first_name", "id")
    if term := request.GET.get("search"):
        query = prefix_tsquery(term)
        qs = qs.filter(search_vector=query).annotate(rank=SearchRank(F("search_vector"), query))
        order = ("-rank", "-pk")  # as the API: by relevance when searching
    return _respond("customers", qs.order_by(*order), request)


def policies(request):
    from apps.policies.api.views import PolicyListCreateApi

    qs = PolicyListCreateApi().visible_queryset(_manager())
    if status := request.GET.get("status"):
        qs = qs.filter(status=status)
    if kind := request.GET.get("type"):
        qs = qs.filter(policy_type=kind)
    return _respond("policies", qs.order_by("-start_date", "-id"), request)


def claims(request):
    from apps.claims.api.views import ClaimListCreateApi

    qs = ClaimListCreateApi().visible_queryset(_manager())
    if status := request.GET.get("status"):
        qs = qs.filter(status=status)
    return _respond("claims", qs.order_by("-created_at", "-id"), request)


def cases(request):
    from apps.renewals.api.views import CaseListApi

    qs = CaseListApi().visible_queryset(_manager())
    if status := request.GET.get("status"):
        qs = qs.filter(status=status)
    if priority := request.GET.get("priority"):
        qs = qs.filter(priority=priority)
    return _respond("cases", qs.order_by("-created_at", "-id"), request)


def tickets(request):
    """The service desk's queue with the SLA state computed in SQL (the API's own annotation), newest first."""
    from apps.support.api.views import TicketListCreateApi
    from apps.support.models import TicketStatus

    qs = TicketListCreateApi().visible_queryset(_manager())
    status = request.GET.get("status")
    if status == "active":
        qs = qs.exclude(status__in=(TicketStatus.RESOLVED, TicketStatus.CLOSED))
    elif status:
        qs = qs.filter(status=status)
    if sla_state := request.GET.get("sla_state"):
        qs = qs.filter(sla_state=sla_state)
    return _respond("tickets", qs.order_by("-created_at", "-id"), request)


def client_leads(request):
    from apps.crm.api.views import ClientLeadListCreateApi

    qs = ClientLeadListCreateApi().visible_queryset(_manager())
    if status := request.GET.get("status"):
        qs = qs.filter(status=status)
    order = ("-created_at", "-id")
    if term := request.GET.get("search"):
        query = prefix_tsquery(term)
        qs = qs.filter(search_vector=query).annotate(rank=SearchRank(F("search_vector"), query))
        order = ("-rank", "-pk")
    return _respond("client_leads", qs.order_by(*order), request)


def emails(request):
    """Issue 16: the shared inbox at 100k emails (the API's queryset, its deferred columns and order)."""
    from apps.messaging.api.views.emails import EmailListApi

    qs = EmailListApi().visible_queryset(_manager())
    if status := request.GET.get("status"):
        qs = qs.filter(status=status)
    if category := request.GET.get("category"):
        qs = qs.filter(category=category)
    return _respond("emails", qs.order_by("-received_at", "-id"), request)
