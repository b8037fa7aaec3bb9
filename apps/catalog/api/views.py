"""Product search and quotes: readable without signing in (customers and prospects)."""

import django_filters
from django.db.models import Exists, OuterRef
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.permissions import AllowAny

from apps.catalog import selectors, services
from apps.catalog.models import Coverage, Product
from apps.core.api.throttles import AtomicRateThrottle, GeneralRateThrottle
from apps.core.api.views import BaseApi, BaseListApi

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
    """POST /quotes: price a product from its rating rules, line by line."""

    authentication_classes = []
    permission_classes = [AllowAny]
    mfa_exempt = True
    throttle_classes = [GeneralRateThrottle, QuoteRateThrottle]

    @extend_schema(
        tags=["products"],
        request=s.QuoteInputSerializer,
        responses={200: s.QuoteOutputSerializer},
        summary="Get a quote",
    )
    def post(self, request):
        data = dict(self.parse(s.QuoteInputSerializer))
        product = selectors.product_for_quote(data.pop("product"))
        result = self.call(services.quote_compute, product=product, **data)
        return self.ok(result.as_dict())
