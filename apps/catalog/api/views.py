"""Product search and quotes: readable without signing in (customers and prospects)."""

import django_filters
from django.db.models import Exists, OuterRef
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework.permissions import AllowAny

from apps.accounts.roles import Role
from apps.catalog import selectors, services
from apps.catalog.models import Coverage, Product, QuoteChannel
from apps.core.api.throttles import AtomicRateThrottle, GeneralRateThrottle
from apps.core.api.views import BaseApi, BaseListApi
from apps.core.exceptions import NotAllowed, NotAuthenticated

from . import serializers as s


class ProductFilterSet(django_filters.FilterSet):
    line = django_filters.CharFilter(field_name="line__code")
    premium_min = django_filters.NumberFilter(field_name="base_premium", lookup_expr="gte")
    premium_max = django_filters.NumberFilter(field_name="base_premium", lookup_expr="lte")
    coverage = django_filters.CharFilter(method="filter_coverage", max_length=40)
    age = django_filters.NumberFilter(method="filter_age", min_value=0, max_value=120)
    region = django_filters.CharFilter(method="filter_region", max_length=20)

    class Meta:
        model = Product
        fields = ["line", "premium_min", "premium_max", "coverage", "age", "region"]

    def filter_coverage(self, queryset, name, value):
        return queryset.filter(Exists(Coverage.objects.filter(product=OuterRef("pk"), code=value)))

    def filter_age(self, queryset, name, value):
        return selectors.products_eligible(queryset, age=int(value))

    def filter_region(self, queryset, name, value):
        return selectors.products_eligible(queryset, region=value)


class ProductListApi(BaseListApi):
    authentication_classes = []
    permission_classes = [AllowAny]
    mfa_exempt = True
    serializer_class = s.ProductSerializer
    filterset_class = ProductFilterSet
    model = Product
    list_key = "products"
    search_vector_field = "search_vector"
    sort_fields = {"premium": "base_premium", "name": "name", "popularity": "popularity"}
    default_sort = ("name", "id")

    def visible_queryset(self, user):
        return selectors.products_for_sale()

    @extend_schema(tags=["products"], summary="Search products (no sign-in needed)")
    def get(self, request):
        return self.list_response(request)


class ProductDetailApi(BaseApi):
    authentication_classes = []
    permission_classes = [AllowAny]
    mfa_exempt = True

    @extend_schema(
        tags=["products"],
        responses={200: s.ProductSerializer},
        summary="A product",
        parameters=[OpenApiParameter("code", str, OpenApiParameter.PATH)],
    )
    def get(self, request, code):
        return self.ok(s.ProductSerializer(selectors.product_get(code)).data)


class QuoteRateThrottle(AtomicRateThrottle):
    scope = "quotes"


class QuoteApi(BaseApi):
    """POST /quotes: price a product from its rating rules, line by line, and keep the quote (its `id` is what an
    application names). GET /quotes: a signed-in customer's own quotes, with where each application is."""

    permission_classes = [AllowAny]  # a signed-in customer still passes MFA enforcement
    throttle_classes = [GeneralRateThrottle, QuoteRateThrottle]

    def get_throttles(self):
        return super().get_throttles() if self.request.method == "POST" else [GeneralRateThrottle()]

    @extend_schema(
        tags=["products"],
        request=s.QuoteInputSerializer,
        responses={201: s.StoredQuoteSerializer},
        summary="Get a quote (kept for CATALOG_QUOTE_VALID_DAYS; a signed-in customer's is theirs)",
    )
    def post(self, request):
        data = dict(self.parse(s.QuoteInputSerializer))
        product = selectors.product_for_quote(data.pop("product"))
        stored = self.call(services.quote_create, product=product, actor=request.user, channel=QuoteChannel.API, **data)
        return self.created(s.StoredQuoteSerializer(stored).data)

    @extend_schema(
        tags=["products"],
        responses={200: inline_serializer("QuoteList", {"quotes": s.StoredQuoteSerializer(many=True)})},
        summary="My quotes and my requests for cover (customers)",
        operation_id="quotes_list",
    )
    def get(self, request):
        if not request.user.is_authenticated:
            raise NotAuthenticated()
        if request.user.role != Role.CUSTOMER:
            raise NotAllowed("Only customers have quotes of their own; staff see requests in the CRM.")
        quotes = selectors.quotes_of_customer(request.user)[:100]
        return self.ok({"quotes": s.StoredQuoteSerializer(quotes, many=True).data})


QUOTE_ID = OpenApiParameter("id", OpenApiTypes.UUID, OpenApiParameter.PATH, description="The quote's reference.")


class QuoteDetailApi(BaseApi):
    """GET /quotes/{id}: the quote and where its application is. A customer's quote only for that customer."""

    permission_classes = [AllowAny]  # a signed-in customer still passes MFA enforcement

    @extend_schema(
        tags=["products"],
        parameters=[QUOTE_ID],
        responses={200: s.StoredQuoteSerializer},
        summary="A stored quote",
    )
    def get(self, request, pk):
        return self.ok(s.StoredQuoteSerializer(selectors.quote_get_for_user(request.user, pk)).data)


class QuoteApplyApi(BaseApi):
    """POST /quotes/{id}/apply: "I'd like this cover". The request goes to an agent's pipeline (a lead for a
    prospect, an opportunity for a customer); the quote answers `requested`, and `picked_up` once an agent acts."""

    permission_classes = [AllowAny]  # a signed-in customer still passes MFA enforcement
    throttle_classes = [GeneralRateThrottle, QuoteRateThrottle]

    @extend_schema(
        tags=["products"],
        parameters=[QUOTE_ID],
        request=s.QuoteApplyInputSerializer,
        responses={200: s.StoredQuoteSerializer},
        summary="Apply for the quoted cover",
    )
    def post(self, request, pk):
        quote = selectors.quote_get_for_user(request.user, pk)
        data = self.parse(s.QuoteApplyInputSerializer)
        applied = self.call(services.quote_apply, quote=quote, actor=request.user, channel=QuoteChannel.API, **data)
        return self.ok(s.StoredQuoteSerializer(applied).data)
