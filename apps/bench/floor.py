"""The framework floor: bare Django views running the same queries as the API lists, rendered with orjson.

No DRF, no serializers, no permissions, no pagination class — what any Python stack would pay at least.
Mounted at /bench/floor/ only when settings.BENCH_FLOOR is true."""

import orjson
from django.contrib.postgres.search import SearchRank
from django.db.models import F
from django.db.models.fields.json import KT
from django.db.models.functions import Lower
from django.http import HttpResponse

from apps.core.api.filters import prefix_tsquery
from apps.customers.models import Customer
from apps.policies.models import Policy

CUSTOMER_FIELDS = (
    "id",
    "customer_code",
    "first_name",
    "last_name",
    "email",
    "phone",
    "date_of_birth",
    "address",
    "kyc_status",
    "created_at",
    "updated_at",
    "agent_id",
)
POLICY_FIELDS = (
    "id",
    "policy_number",
    "customer_id",
    "customer__customer_code",
    "customer__first_name",
    "customer__last_name",
    "product__code",
    "product__name",
    "policy_type",
    "status",
    "premium_amount",
    "currency",
    "payment_frequency",
    "start_date",
    "end_date",
    "renewal_date",
    "grace_period_days",
    "sum_insured",
    "agent_id",
    "branch_id",
)


def _json(data) -> HttpResponse:
    return HttpResponse(orjson.dumps(data, default=str), content_type="application/json")


def _page(request):
    limit = min(int(request.GET.get("limit", 20)), 100)
    page = max(int(request.GET.get("page", 1)), 1)
    return limit, (page - 1) * limit


def customers(request):
    qs = Customer.objects.all()
    if city := request.GET.get("city"):
        qs = qs.annotate(city_ci=Lower(KT("address__city"))).filter(city_ci=city.lower())
    if kyc := request.GET.get("kyc_status"):
        qs = qs.filter(kyc_status=kyc)
    order = ("last_name", "first_name", "id")
    if term := request.GET.get("search"):
        query = prefix_tsquery(term)
        qs = qs.filter(search_vector=query).annotate(rank=SearchRank(F("search_vector"), query))
        order = ("-rank", "-pk")  # as the API: by relevance when searching
    limit, offset = _page(request)
    rows = list(qs.order_by(*order).values(*CUSTOMER_FIELDS)[offset : offset + limit])
    return _json({"customers": rows, "total": qs.count()})


def policies(request):
    qs = Policy.objects.all()
    if status := request.GET.get("status"):
        qs = qs.filter(status=status)
    if kind := request.GET.get("type"):
        qs = qs.filter(policy_type=kind)
    limit, offset = _page(request)
    rows = list(qs.order_by("-start_date", "-id").values(*POLICY_FIELDS)[offset : offset + limit])
    return _json({"policies": rows, "total": qs.count()})
