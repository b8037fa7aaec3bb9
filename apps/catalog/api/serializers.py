from decimal import Decimal

from rest_framework import serializers

from apps.catalog.models import Coverage, Product, Quote
from apps.core.api.serializers import OutputModelSerializer


class CoverageSerializer(OutputModelSerializer):
    class Meta:
        model = Coverage
        fields = ["code", "name", "limit", "deductible", "is_mandatory", "annual_premium"]
        read_only_fields = fields


class ProductSerializer(OutputModelSerializer):
    line = serializers.CharField(source="line.code")
    line_name = serializers.CharField(source="line.name")
    coverages = CoverageSerializer(many=True, read_only=True)

    class Meta:
        model = Product
        fields = [
            "code",
            "name",
            "line",
            "line_name",
            "description",
            "base_premium",
            "currency",
            "min_age",
            "max_age",
            "regions",
            "popularity",
            "coverages",
        ]
        read_only_fields = fields


class QuoteInputSerializer(serializers.Serializer):
    product = serializers.SlugField(max_length=40)
    age = serializers.IntegerField(min_value=0, max_value=120, required=False)
    date_of_birth = serializers.DateField(required=False)
    region = serializers.CharField(max_length=20, required=False, allow_blank=False)
    vehicle_value = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=Decimal("0"), required=False)
    vehicle_year = serializers.IntegerField(min_value=1900, max_value=2100, required=False)
    claims_count = serializers.IntegerField(min_value=0, max_value=50, required=False)
    sum_insured = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=Decimal("0"), required=False)
    deductible = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=Decimal("0"), required=False)
    coverages = serializers.ListField(child=serializers.SlugField(max_length=40), required=False, max_length=50)


class QuoteLineSerializer(serializers.Serializer):
    kind = serializers.CharField()
    label = serializers.CharField()
    amount = serializers.CharField()
    factor = serializers.CharField(required=False)
    value = serializers.CharField(required=False)
    multiplier = serializers.CharField(required=False)
    coverage = serializers.CharField(required=False)


class QuoteOutputSerializer(serializers.Serializer):
    product = serializers.CharField()
    currency = serializers.CharField()
    annual_premium = serializers.CharField()
    lines = QuoteLineSerializer(many=True)
    inputs = serializers.DictField(child=serializers.CharField())


class StoredQuoteSerializer(OutputModelSerializer):
    """A stored quote as its asker sees it: the price line by line, until when it holds, and where the application
    is (quoted → requested → with an agent)."""

    id = serializers.UUIDField(source="reference", read_only=True)
    product = serializers.CharField(source="product.code")
    product_name = serializers.CharField(source="product.name")
    line = serializers.CharField(source="product.line.code")
    annual_premium = serializers.CharField()
    lines = QuoteLineSerializer(many=True)
    inputs = serializers.DictField(child=serializers.CharField())
    agent = serializers.SerializerMethodField()

    class Meta:
        model = Quote
        fields = [
            "id",
            "product",
            "product_name",
            "line",
            "currency",
            "annual_premium",
            "lines",
            "inputs",
            "coverages",
            "status",
            "created_at",
            "expires_at",
            "applied_at",
            "picked_up_at",
            "agent",
        ]
        read_only_fields = fields

    def get_agent(self, quote) -> str | None:
        """The first name of the agent who picked the request up (no more: the customer's contact is the agent)."""
        agent = quote.picked_up_by
        return (agent.first_name or agent.get_full_name()) if agent is not None else None


class QuoteApplyInputSerializer(serializers.Serializer):
    """A signed-in customer needs nothing (their record says who they are); a prospect gives a name and a way to
    reach them."""

    first_name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    last_name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    email = serializers.EmailField(max_length=255, required=False, allow_blank=True)
    phone = serializers.CharField(max_length=20, required=False, allow_blank=True)
    message = serializers.CharField(max_length=2000, required=False, allow_blank=True)
