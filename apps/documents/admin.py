"""Back-office document screens: statuses at a glance, thumbnails and downloads through the authorised view."""

from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html
from unfold.admin import ModelAdmin, TabularInline
from unfold.decorators import action, display

from apps.customers.models import Customer
from apps.customers.selectors import customers_visible_to

from . import services
from .models import Document


def _download_link(obj) -> str:
    if not obj.pk or not obj.is_downloadable:
        return "—"
    return format_html('<a href="{}">Download</a>', reverse("admin-document-download", args=[obj.pk]))


def _thumbnail(obj) -> str:
    if not obj.pk or not obj.thumbnail or not obj.is_downloadable:
        return "—"
    url = reverse("admin-document-download", args=[obj.pk]) + "?variant=thumbnail"
    return format_html('<img src="{}" alt="" width="64" height="64" style="object-fit:cover;border-radius:4px">', url)


class DocumentInline(TabularInline):
    model = Document
    fk_name = "customer"
    fields = [
        "thumbnail_display",
        "original_name",
        "doc_type",
        "scan_status",
        "validation_status",
        "created_at",
        "download",
    ]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("customer")

    @display(description="")
    def thumbnail_display(self, obj):
        return _thumbnail(obj)

    @display(description="File")
    def download(self, obj):
        return _download_link(obj)


@admin.register(Document)
class DocumentAdmin(ModelAdmin):
    list_display = [
        "thumbnail_display",
        "original_name",
        "customer",
        "doc_type",
        "mime_type",
        "scan_status_display",
        "validation_status",
        "created_at",
        "download",
    ]
    list_filter = ["scan_status", "validation_status", "doc_type", "mime_type", "entity_type"]
    search_fields = ["original_name", "sha256", "customer__customer_code", "customer__last_name"]
    list_select_related = ["customer", "uploaded_by"]
    readonly_fields = [f.name for f in Document._meta.fields if f.name not in ("doc_type", "visibility")] + [
        "thumbnail_display",
        "download",
    ]
    actions = ["reprocess", "validate"]
    date_hierarchy = "created_at"

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if request.user.role == "admin":
            return qs
        return qs.filter(customer__in=customers_visible_to(request.user).values("pk"))

    def has_add_permission(self, request) -> bool:
        return False  # uploads go through the API/portal, which inspect and scan the file

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @display(description="")
    def thumbnail_display(self, obj):
        return _thumbnail(obj)

    @display(
        description="Scan", label={"clean": "success", "infected": "danger", "pending": "warning", "error": "danger"}
    )
    def scan_status_display(self, obj):
        return obj.scan_status

    @display(description="File")
    def download(self, obj):
        return _download_link(obj)

    @action(description="Re-run OCR and extraction", permissions=["change"])
    def reprocess(self, request, queryset):
        from .tasks import process_document

        for document in queryset.exclude(scan_status=Document.ScanStatus.INFECTED):
            process_document.delay(document.pk)
        messages.success(request, "Processing queued.")

    @action(description="Validate against the rules of their type", permissions=["change"])
    def validate(self, request, queryset):
        results = [services.document_validate(document=d, actor=request.user) for d in queryset]
        invalid = sum(1 for d in results if d.validation_status == Document.ValidationStatus.INVALID)
        messages.info(request, f"Validated {len(results)} document(s); {invalid} invalid.")


# Show documents on the customer's page: the customers app must not import this one (docs/architecture.md order),
# so the inline is attached from here, after customers registered its admin.
_customer_admin = admin.site._registry.get(Customer)
if _customer_admin is not None and DocumentInline not in _customer_admin.inlines:
    _customer_admin.inlines = [*_customer_admin.inlines, DocumentInline]
