"""Document endpoints: seed 000 (customer documents), seed 001 (documents), seed 003 (files)."""

from django.conf import settings
from django.http import FileResponse, Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import BasePermission, IsAuthenticated

from apps.accounts.api.permissions import MfaSatisfied, module_permission
from apps.accounts.roles import Role
from apps.core.api.exceptions import ApiError, PayloadTooLarge
from apps.core.api.throttles import AtomicRateThrottle, GeneralRateThrottle
from apps.core.api.views import BaseApi, BaseListApi
from apps.customers.selectors import customer_get_for_user
from apps.documents import owners, selectors, services
from apps.documents.inspection import ALLOWED_TYPES
from apps.documents.models import Document

from . import serializers as s

DocumentsPermission = module_permission("documents")


class DocumentUploadThrottle(AtomicRateThrottle):
    scope = "documents"


class StaffOrOwningCustomer(BasePermission):
    """Staff with the documents module; customers pass here and are limited to their own by selectors."""

    message = "Your role does not grant access to documents."

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False
        return user.role == Role.CUSTOMER or DocumentsPermission().has_permission(request, view)


STAFF = [IsAuthenticated, MfaSatisfied, DocumentsPermission]
STAFF_OR_CUSTOMER = [IsAuthenticated, MfaSatisfied, StaffOrOwningCustomer]
_FILE = OpenApiResponse(response=OpenApiTypes.BINARY, description="The file (Content-Disposition: attachment)")
# A download is sent as the type its content was sniffed as on upload (one of the accepted types; a thumbnail is
# a JPEG), so that is what the schema lists.
_DOWNLOAD = {(200, mime_type): _FILE for mime_type in ALLOWED_TYPES}


class UploadMixin:
    parser_classes = [MultiPartParser, FormParser]
    throttle_classes = [GeneralRateThrottle, DocumentUploadThrottle]

    def upload_for_customer(self, request, customer, data: dict):
        document = self.call(
            services.document_upload,
            file=data["file"],
            uploaded_by=request.user,
            customer=customer,
            doc_type=data["doc_type"],
            visibility=data["visibility"],
            request=request._request,
        )
        return self.created(s.DocumentOutputSerializer(document).data)

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        # Refuse an oversized body before reading it (multipart overhead allowed for).
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
        if request.method == "POST" and declared > settings.DOCUMENT_MAX_BYTES + 64 * 1024:
            raise PayloadTooLarge(f"The file is larger than {settings.DOCUMENT_MAX_BYTES // (1024 * 1024)} MB.")


def _download(request, document: Document):
    variant = request.query_params.get("variant")
    if variant not in (None, "", "original", "thumbnail"):
        raise ApiError("variant must be 'original' or 'thumbnail'.", code="validation_error")
    handle = services.document_open_for_download(document=document, actor=request.user, request=request._request)
    if variant == "thumbnail":
        handle.close()
        if not document.thumbnail:
            raise Http404
        handle = document.thumbnail.open("rb")
        response = FileResponse(handle, content_type="image/jpeg", as_attachment=False)
    else:
        response = FileResponse(
            handle, content_type=document.mime_type, as_attachment=True, filename=document.original_name
        )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


# --- /customers/{id}/documents (seed 000) ----------------------------------------------------------


class CustomerDocumentListCreateApi(UploadMixin, BaseListApi):
    permission_classes = STAFF_OR_CUSTOMER
    serializer_class = s.DocumentOutputSerializer
    model = Document
    list_key = "documents"
    search_fields = ("original_name",)
    sort_fields = {"created_at": "created_at", "original_name": "original_name", "doc_type": "doc_type"}
    default_sort = ("-created_at", "-id")
    filterset_fields = ["doc_type", "scan_status", "validation_status", "visibility"]
    parser_classes = [MultiPartParser, FormParser]

    def visible_queryset(self, user):
        customer = customer_get_for_user(user=user, pk=self.kwargs["pk"])
        return selectors.documents_visible_to(user).filter(customer=customer)

    @extend_schema(tags=["documents"], summary="List a customer's documents")
    def get(self, request, pk):
        return self.list_response(request)

    @extend_schema(
        tags=["documents"],
        request={"multipart/form-data": s.DocumentUploadSerializer},
        responses={201: s.DocumentOutputSerializer},
        summary="Upload a document for a customer",
    )
    def post(self, request, pk):
        customer = customer_get_for_user(user=request.user, pk=pk)
        data = self.parse(s.DocumentUploadSerializer)
        return self.upload_for_customer(request, customer, data)


class CustomerDocumentDetailApi(BaseApi):
    permission_classes = STAFF_OR_CUSTOMER

    @extend_schema(tags=["documents"], responses={200: s.DocumentDetailSerializer}, summary="A customer's document")
    def get(self, request, pk, document_id):
        document = selectors.document_get_for_user(user=request.user, pk=document_id, customer_id=pk)
        return self.ok(s.DocumentDetailSerializer(document).data)

    @extend_schema(tags=["documents"], responses={204: None}, summary="Delete a customer's document")
    def delete(self, request, pk, document_id):
        document = selectors.document_get_for_user(user=request.user, pk=document_id, customer_id=pk)
        self.call(services.document_delete, document=document, actor=request.user)
        return self.ok(None, status_code=204)


class CustomerDocumentDownloadApi(BaseApi):
    permission_classes = STAFF_OR_CUSTOMER

    @extend_schema(
        tags=["documents"],
        responses=_DOWNLOAD,
        summary="Download a customer's document",
    )
    def get(self, request, pk, document_id):
        return _download(request, selectors.document_get_for_user(user=request.user, pk=document_id, customer_id=pk))


# --- /documents (seed 001) ----------------------------------------------------------------------------


class DocumentUploadApi(UploadMixin, BaseApi):
    permission_classes = STAFF

    @extend_schema(
        tags=["documents"],
        request={"multipart/form-data": s.GenericDocumentUploadSerializer},
        responses={201: s.DocumentOutputSerializer},
        summary="Upload a document",
    )
    def post(self, request):
        data = self.parse(s.GenericDocumentUploadSerializer)
        customer = customer_get_for_user(user=request.user, pk=data["customer_id"])
        return self.upload_for_customer(request, customer, data)


class DocumentDetailApi(BaseApi):
    permission_classes = STAFF

    @extend_schema(tags=["documents"], responses={200: s.DocumentDetailSerializer}, summary="Document details")
    def get(self, request, pk):
        return self.ok(s.DocumentDetailSerializer(selectors.document_get_for_user(user=request.user, pk=pk)).data)

    @extend_schema(tags=["documents"], responses={204: None}, summary="Delete a document")
    def delete(self, request, pk):
        document = selectors.document_get_for_user(user=request.user, pk=pk)
        self.call(services.document_delete, document=document, actor=request.user)
        return self.ok(None, status_code=204)


class DocumentDownloadApi(BaseApi):
    permission_classes = STAFF_OR_CUSTOMER

    @extend_schema(
        tags=["documents"],
        responses=_DOWNLOAD,
        summary="Download a document (or ?variant=thumbnail)",
    )
    def get(self, request, pk):
        return _download(request, selectors.document_get_for_user(user=request.user, pk=pk))


class DocumentProcessApi(BaseApi):
    permission_classes = STAFF

    @extend_schema(
        tags=["documents"],
        request=s.DocumentIdSerializer,
        responses={202: s.DocumentOutputSerializer},
        summary="(Re)run OCR and data extraction",
    )
    def post(self, request):
        data = self.parse(s.DocumentIdSerializer)
        document = selectors.document_get_for_user(user=request.user, pk=data["document_id"])
        if not document.is_downloadable:
            raise ApiError("This file is quarantined.", code="quarantined", status_code=409)
        from apps.documents.tasks import process_document

        process_document.delay(document.pk)
        document.refresh_from_db()
        return self.ok(s.DocumentOutputSerializer(document).data, status_code=202)


class DocumentValidateApi(BaseApi):
    permission_classes = STAFF

    @extend_schema(
        tags=["documents"],
        request=s.DocumentIdSerializer,
        responses={200: s.DocumentOutputSerializer},
        summary="Validate a document against the rules of its type",
    )
    def post(self, request):
        data = self.parse(s.DocumentIdSerializer)
        document = selectors.document_get_for_user(user=request.user, pk=data["document_id"])
        document = self.call(services.document_validate, document=document, actor=request.user)
        return self.ok(s.DocumentOutputSerializer(document).data)


# --- /files (seed 003) ----------------------------------------------------------------------------


class FileUploadApi(UploadMixin, BaseApi):
    permission_classes = STAFF

    @extend_schema(
        tags=["files"],
        request={"multipart/form-data": s.FileUploadSerializer},
        responses={201: s.DocumentOutputSerializer},
        summary="Upload a file for an entity",
    )
    def post(self, request):
        data = self.parse(s.FileUploadSerializer)
        try:
            customer, entity_id = owners.resolve_owner(
                user=request.user, entity_type=data["entity_type"], entity_id=data["entity_id"]
            )
        except KeyError:
            raise ApiError(
                f"entity_type must be one of: {', '.join(owners.owner_types())}.",
                code="validation_error",
                details={"entity_type": ["Unknown entity type."]},
            ) from None
        visibility = Document.Visibility.CUSTOMER if data["is_public"] else Document.Visibility.INTERNAL
        document = self.call(
            services.document_upload,
            file=data["file"],
            uploaded_by=request.user,
            customer=customer,
            entity_type=data["entity_type"],
            entity_id=entity_id,
            doc_type=data["doc_type"],
            visibility=visibility,
            request=request._request,
        )
        return self.created(s.DocumentOutputSerializer(document).data)


class FileDetailApi(DocumentDetailApi):
    http_method_names = ["delete", "options"]

    @extend_schema(tags=["files"], responses={204: None}, summary="Delete a file")
    def delete(self, request, pk):
        return super().delete(request, pk)


class FileDownloadApi(DocumentDownloadApi):
    @extend_schema(tags=["files"], responses=_DOWNLOAD, summary="Download a file")
    def get(self, request, pk):
        return super().get(request, pk)
