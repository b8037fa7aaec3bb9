"""Seed 003 Email Management endpoints: GET /emails (filters, full-text search), GET/PUT /emails/:id,
POST /emails/:id/reply, POST /emails/:id/escalate."""

import django_filters
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.permissions import IsAuthenticated

from apps.accounts.api.permissions import module_permission
from apps.core.api.views import BaseApi, BaseListApi
from apps.messaging.models import Email, EmailCategory, EmailPriority, EmailStatus
from apps.messaging.selectors import email as selectors
from apps.messaging.services import email as services

from ..serializers import emails as s

EmailsPermission = module_permission("emails")
STAFF = [IsAuthenticated, EmailsPermission]


class _AllChoiceFilter(django_filters.ChoiceFilter):
    """Seed 003 sends `all` for "no filter"."""

    def filter(self, qs, value):
        return qs if value in ("", None, "all") else super().filter(qs, value)


class EmailFilterSet(django_filters.FilterSet):
    status = _AllChoiceFilter(choices=[("all", "All"), *EmailStatus.choices])
    category = _AllChoiceFilter(choices=[("all", "All"), *EmailCategory.choices])
    priority = django_filters.ChoiceFilter(choices=EmailPriority.choices)
    assigned_to = django_filters.NumberFilter(field_name="assigned_to_id")
    date_from = django_filters.DateFilter(field_name="received_at", lookup_expr="date__gte")
    date_to = django_filters.DateFilter(field_name="received_at", lookup_expr="date__lte")
    read_status = django_filters.BooleanFilter()

    class Meta:
        model = Email
        fields = ["status", "category", "priority", "assigned_to", "date_from", "date_to", "read_status"]


LIST_COLUMNS = (
    "id",
    "message_id",
    "thread_id",
    "from_email",
    "from_name",
    "subject",
    "category",
    "priority",
    "status",
    "sentiment_score",
    "sentiment_label",
    "ai_intent",
    "assigned_to_id",
    "automated",
    "received_at",
    "read_status",
)


class EmailListApi(BaseListApi):
    permission_classes = STAFF
    serializer_class = s.EmailListSerializer
    filterset_class = EmailFilterSet
    model = Email
    list_key = "emails"
    search_vector_field = "search_vector"
    sort_fields = {"received_at": "received_at", "priority": "priority", "status": "status"}
    default_sort = ("-received_at", "-id")

    def visible_queryset(self, user):
        # only the list's columns: the arrays and JSON documents it does not show (attachments, parse defects, link
        # reasons, cc/bcc) cost a decode per row each
        return selectors.inbox_visible_to(user).only(*LIST_COLUMNS)

    @extend_schema(tags=["emails"], summary="The shared inbox (search: subject, sender, body; full text)")
    def get(self, request):
        return self.list_response(request)


def email_detail(request, email: Email) -> dict:
    thread = selectors.email_thread(email=email)
    documents = selectors.email_documents(user=request.user, email=email)
    return s.EmailDetailSerializer(email, context={"thread": thread, "documents": documents}).data


class EmailDetailApi(BaseApi):
    permission_classes = STAFF

    @extend_schema(
        tags=["emails"],
        responses={200: s.EmailDetailSerializer},
        summary="An email with body, attachments, links (with reasons), thread and timeline; marks it read",
    )
    def get(self, request, pk):
        email = selectors.email_get_for_user(user=request.user, pk=pk)
        services.email_mark_read(email=email, actor=request.user)
        return self.ok(email_detail(request, email))

    @extend_schema(
        tags=["emails"],
        request=s.EmailUpdateSerializer,
        responses={200: s.EmailDetailSerializer},
        summary="Status (workflow), category (kept as a correction), priority, assignment",
    )
    def put(self, request, pk):
        email = selectors.email_get_for_user(user=request.user, pk=pk)
        data = self.parse(s.EmailUpdateSerializer, partial=True)
        unassign = "assigned_to" in data and data["assigned_to"] is None
        self.call(services.email_update, email=email, actor=request.user, unassign=unassign, **data)
        return self.ok(email_detail(request, selectors.email_get_for_user(user=request.user, pk=pk)))


class EmailReplyApi(BaseApi):
    permission_classes = STAFF

    @extend_schema(
        tags=["emails"],
        request=s.EmailReplySerializer,
        responses={
            201: s.EmailDetailSerializer,
            422: OpenApiResponse(description="Refused by the consent gate (error.details.reason): DNC or opted out"),
        },
        summary="Reply (threaded, through the mailbox's SMTP; optional managed template)",
    )
    def post(self, request, pk):
        email = selectors.email_get_for_user(user=request.user, pk=pk)
        data = self.parse(s.EmailReplySerializer)
        reply = self.call(services.email_reply, email=email, actor=request.user, **data)
        return self.created(email_detail(request, selectors.email_get_for_user(user=request.user, pk=reply.pk)))


class EmailEscalateApi(BaseApi):
    permission_classes = STAFF

    @extend_schema(
        tags=["emails"],
        request=s.EmailEscalateSerializer,
        responses={200: s.EmailDetailSerializer},
        summary="Escalate to a manager or administrator, with a reason (notified live)",
    )
    def post(self, request, pk):
        email = selectors.email_get_for_user(user=request.user, pk=pk)
        data = self.parse(s.EmailEscalateSerializer)
        self.call(services.email_escalate, email=email, actor=request.user, **data)
        return self.ok(email_detail(request, selectors.email_get_for_user(user=request.user, pk=pk)))
