from decimal import Decimal

from rest_framework import serializers

from apps.catalog.models import Coverage, Product
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
