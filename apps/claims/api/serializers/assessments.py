"""Serializers of vehicle damage assessments: sections, photos, estimates and their lines."""

from decimal import Decimal

from rest_framework import serializers

from apps.claims.models import (
    Area,
    Assessment,
    AssessmentPhoto,
    AssessmentSection,
    AssessmentStatus,
    Estimate,
    EstimateLine,
)
from apps.core.api.serializers import OutputModelSerializer

from .claims import MONEY, ClaimPersonSerializer


class AssessmentSectionSerializer(OutputModelSerializer):
    label = serializers.CharField(source="get_area_display")

    class Meta:
        model = AssessmentSection
        fields = ["area", "label", "findings", "severity", "complete", "updated_at"]
        read_only_fields = fields


class AssessmentSerializer(OutputModelSerializer):
    claim_number = serializers.CharField(source="claim.claim_number")
    assessor = ClaimPersonSerializer(allow_null=True)
    sections = AssessmentSectionSerializer(many=True)

    class Meta:
        model = Assessment
        fields = [
            "id",
            "claim_id",
            "claim_number",
            "assessor",
            "status",
            "scheduled_for",
            "inspection_place",
            "vehicle_value",
            "summary",
            "completion_percentage",
            "overall_severity",
            "total_loss_recommendation",
            "total_loss_basis",
            "completed_at",
            "created_at",
            "updated_at",
            "sections",
        ]
        read_only_fields = fields


class AssessmentListSerializer(AssessmentSerializer):
    class Meta(AssessmentSerializer.Meta):
        fields = [f for f in AssessmentSerializer.Meta.fields if f != "sections"]
        read_only_fields = fields


class AssessmentCreateSerializer(serializers.Serializer):
    claim_id = serializers.IntegerField(required=False)
    assessor_id = serializers.IntegerField(required=False, allow_null=True)
    scheduled_for = serializers.DateTimeField(required=False, allow_null=True)
    inspection_place = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")
    vehicle_value = serializers.DecimalField(**MONEY, min_value=Decimal("0"), required=False, allow_null=True)


class AssessmentUpdateSerializer(serializers.Serializer):
    assessor_id = serializers.IntegerField(required=False)
    status = serializers.ChoiceField(choices=AssessmentStatus.choices, required=False)
    scheduled_for = serializers.DateTimeField(required=False, allow_null=True)
    inspection_place = serializers.CharField(max_length=255, required=False, allow_blank=True)
    vehicle_value = serializers.DecimalField(**MONEY, min_value=Decimal("0"), required=False, allow_null=True)
    summary = serializers.CharField(max_length=10000, required=False, allow_blank=True)


class SectionInputSerializer(serializers.Serializer):
    area = serializers.ChoiceField(choices=Area.choices)
    findings = serializers.CharField(max_length=5000, required=False, allow_blank=True)
    severity = serializers.IntegerField(min_value=0, max_value=10, required=False)
    complete = serializers.BooleanField(required=False)


class SectionsUpdateSerializer(serializers.Serializer):
    sections = SectionInputSerializer(many=True, allow_empty=False)


class PhotoSerializer(OutputModelSerializer):
    document_id = serializers.IntegerField(source="document.pk")
    original_name = serializers.CharField(source="document.original_name")
    mime_type = serializers.CharField(source="document.mime_type")
    scan_status = serializers.CharField(source="document.scan_status")
    url = serializers.SerializerMethodField()
    thumbnail_url = serializers.SerializerMethodField()

    class Meta:
        model = AssessmentPhoto
        fields = [
            "id",
            "position",
            "area",
            "caption",
            "document_id",
            "original_name",
            "mime_type",
            "scan_status",
            "url",
            "thumbnail_url",
        ]
        read_only_fields = fields

    def get_url(self, obj) -> str:
        return f"/api/v1/documents/{obj.document_id}/download"

    def get_thumbnail_url(self, obj) -> str | None:
        return f"/api/v1/documents/{obj.document_id}/download?variant=thumbnail" if obj.document.thumbnail else None


class PhotoUploadSerializer(serializers.Serializer):
    file = serializers.FileField()
    area = serializers.ChoiceField(choices=Area.choices, required=False, allow_blank=True, default="")
    caption = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class PhotoOrderSerializer(serializers.Serializer):
    order = serializers.ListField(child=serializers.IntegerField(), allow_empty=False, max_length=500)


class EstimateLineInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=EstimateLine.Kind.choices)
    description = serializers.CharField(max_length=200)
    quantity = serializers.DecimalField(max_digits=8, decimal_places=2, min_value=Decimal("0.01"), required=False)
    unit_price = serializers.DecimalField(**MONEY, min_value=Decimal("0"), required=False)
    hours = serializers.DecimalField(max_digits=6, decimal_places=2, min_value=Decimal("0"), required=False)
    area = serializers.ChoiceField(choices=Area.choices, required=False, allow_blank=True)

    def validate(self, data):
        if data["kind"] == EstimateLine.Kind.LABOUR and not data.get("hours"):
            raise serializers.ValidationError({"hours": "Labour lines give the hours."})
        if data["kind"] != EstimateLine.Kind.LABOUR and data.get("unit_price") is None:
            raise serializers.ValidationError({"unit_price": "Give the unit price."})
        return data


class EstimateCreateSerializer(serializers.Serializer):
    source = serializers.ChoiceField(choices=Estimate.Source.choices)
    repairer_name = serializers.CharField(max_length=150, required=False, allow_blank=True, default="")
    reference = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")
    labour_rate = serializers.DecimalField(**MONEY, min_value=Decimal("0"), required=False, default=Decimal("0"))
    tax_rate = serializers.DecimalField(
        max_digits=5, decimal_places=4, min_value=Decimal("0"), max_value=Decimal("1"), default=Decimal("0.23")
    )
    lines = EstimateLineInputSerializer(many=True, allow_empty=False)


class EstimateLineSerializer(OutputModelSerializer):
    class Meta:
        model = EstimateLine
        fields = ["id", "kind", "description", "quantity", "unit_price", "hours", "amount", "area"]
        read_only_fields = fields


class EstimateSerializer(OutputModelSerializer):
    lines = EstimateLineSerializer(many=True)

    class Meta:
        model = Estimate
        fields = [
            "id",
            "source",
            "repairer_name",
            "reference",
            "labour_rate",
            "tax_rate",
            "parts_total",
            "labour_total",
            "paint_total",
            "sundries_total",
            "subtotal",
            "tax",
            "total",
            "accepted",
            "created_at",
            "lines",
        ]
        read_only_fields = fields
