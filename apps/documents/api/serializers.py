from django.urls import reverse
from rest_framework import serializers

from apps.core.api.serializers import OutputModelSerializer
from apps.documents.models import DocType, Document


class DocumentUploadSerializer(serializers.Serializer):
    file = serializers.FileField(allow_empty_file=True, use_url=False)
    doc_type = serializers.ChoiceField(choices=DocType.choices, default=DocType.OTHER)
    visibility = serializers.ChoiceField(choices=Document.Visibility.choices, default=Document.Visibility.INTERNAL)


class GenericDocumentUploadSerializer(DocumentUploadSerializer):
    customer_id = serializers.IntegerField(min_value=1)


class FileUploadSerializer(serializers.Serializer):
    """Seed 003 `POST /files/upload`: file, entity_type, entity_id, is_public."""

    file = serializers.FileField(allow_empty_file=True, use_url=False)
    entity_type = serializers.CharField(max_length=30)
    entity_id = serializers.IntegerField(min_value=1)
    is_public = serializers.BooleanField(default=False)
    doc_type = serializers.ChoiceField(choices=DocType.choices, default=DocType.OTHER)


class DocumentIdSerializer(serializers.Serializer):
    document_id = serializers.IntegerField(min_value=1)


class DocumentOutputSerializer(OutputModelSerializer):
    download_url = serializers.SerializerMethodField()
    thumbnail_url = serializers.SerializerMethodField()

    class Meta:
        model = Document
        fields = [
            "id",
            "customer",
            "entity_type",
            "entity_id",
            "doc_type",
            "original_name",
            "mime_type",
            "size",
            "sha256",
            "visibility",
            "scan_status",
            "validation_status",
            "validation_errors",
            "processed_data",
            "processed_at",
            "uploaded_by",
            "created_at",
            "download_url",
            "thumbnail_url",
        ]
        read_only_fields = fields

    def get_download_url(self, obj) -> str | None:
        return reverse("v1:documents-download", kwargs={"pk": obj.pk}) if obj.is_downloadable else None

    def get_thumbnail_url(self, obj) -> str | None:
        if not obj.thumbnail or not obj.is_downloadable:
            return None
        return reverse("v1:documents-download", kwargs={"pk": obj.pk}) + "?variant=thumbnail"


class DocumentDetailSerializer(DocumentOutputSerializer):
    class Meta(DocumentOutputSerializer.Meta):
        fields = [*DocumentOutputSerializer.Meta.fields, "ocr_text"]
        read_only_fields = fields
