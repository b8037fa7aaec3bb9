"""Seed 004 CRM endpoints: leads (client and recruit), activities, conversion, header mapping, the pipeline,
tasks, appointments with an ICS feed, and agents with their stats. Thin: parse → service/selector → render."""

import django_filters
from django.conf import settings
from django.http import Http404, HttpResponse
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny, IsAuthenticated

from apps.accounts.api.permissions import module_permission
from apps.accounts.models import User
from apps.core.api.exceptions import PayloadTooLarge
from apps.core.api.throttles import GeneralRateThrottle, UploadRateThrottle
from apps.core.api.views import BaseApi, BaseListApi
from apps.crm import calendar, imports, mapping, merging, selectors, services
from apps.crm.calsync import sync as calsync
from apps.crm.models import (
    Appointment,
    AppointmentStatus,
    CalendarConnection,
    CalendarConnectionStatus,
    Lead,
    LeadKind,
    LeadSource,
    LeadStatus,
    Opportunity,
    OpportunityStage,
    Task,
    TaskPriority,
    TaskStatus,
)
from apps.crm.workflows import OPPORTUNITY_WORKFLOW
from apps.customers.selectors import customers_visible_to
from apps.policies.selectors import policies_visible_to

from . import serializers as s

CRM = [IsAuthenticated, module_permission("crm")]
# a bulk import's rejected rows are for whoever may import (write), not for read-only roles
CRM_IMPORTERS = [IsAuthenticated, module_permission("crm", read_access="write")]
CRM_WRITERS = CRM_IMPORTERS  # roles that may write CRM records (agents, managers, admins)


def _visible(queryset, pk, field: str):
    """The record `pk` of a visible queryset, or a 400 on `field` (a link to something the caller cannot see)."""
    if pk is None:
        return None
    found = queryset.filter(pk=pk).first()
    if found is None:
        raise ValidationError({field: ["Not found, or not yours to link."]})
    return found


def _links(user, data: dict) -> dict:
    """Resolve `<record>_id` inputs into records the caller may see."""
    resolved = {}
    for field, key, queryset in (
        ("lead_id", "lead", lambda: selectors.leads_visible_to(user)),
        ("customer_id", "customer", lambda: customers_visible_to(user)),
        ("opportunity_id", "opportunity", lambda: selectors.opportunities_visible_to(user)),
        ("candidate_id", "candidate", lambda: selectors.candidates_visible_to(user)),
    ):
        if field in data:
            value = data.pop(field)
            resolved[key] = _visible(queryset(), value, field) if value is not None else None
    return resolved


def _staff(user, pk, field: str):
    """An agent/assignee named by id: active staff (the service checks the team rules)."""
    found = User.objects.filter(pk=pk, is_active=True).select_related("team").first()
    if found is None:
        raise ValidationError({field: ["No such active user."]})
    return found


# --- leads -------------------------------------------------------------------------------------------------------


class LeadFilterSet(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=LeadStatus.choices)
    source = django_filters.ChoiceFilter(choices=LeadSource.choices)
    assigned_agent = django_filters.NumberFilter(field_name="assigned_agent_id")
    assigned_agent_id = django_filters.NumberFilter(field_name="assigned_agent_id")
    assignedAgentId = django_filters.NumberFilter(field_name="assigned_agent_id")  # noqa: N815 (seed 004's camelCase)
    team = django_filters.NumberFilter(field_name="team_id")
    score_min = django_filters.NumberFilter(field_name="score", lookup_expr="gte")
    score_max = django_filters.NumberFilter(field_name="score", lookup_expr="lte")
    created_from = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_to = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lte")
    unassigned = django_filters.BooleanFilter(field_name="assigned_agent", lookup_expr="isnull")

    class Meta:
        model = Lead
        fields = ["status", "source"]


class _LeadListCreateApi(BaseListApi):
    permission_classes = CRM
    serializer_class = s.LeadOutputSerializer
    filterset_class = LeadFilterSet
    model = Lead
    kind = LeadKind.CLIENT
    search_vector_field = "search_vector"  # full-text (GIN), ranked; never a LIKE scan of every lead
    sort_fields = {"created_at": "created_at", "score": "score", "last_name": "last_name", "status": "status"}
    default_sort = ("-created_at", "-id")

    def visible_queryset(self, user):
        return selectors.leads_visible_to(user, kind=self.kind).defer("search_vector")

    def create(self, request):
        data = self.parse(s.LeadInputSerializer)
        lead, duplicates = self.call(services.lead_create, actor=request.user, kind=self.kind, **data)
        lead.duplicates = duplicates
        return self.created(s.LeadCreatedSerializer(lead).data)


class ClientLeadListCreateApi(_LeadListCreateApi):
    list_key = "client_leads"
    kind = LeadKind.CLIENT

    @extend_schema(tags=["leads"], summary="Client leads (filters: status, source, agent, score, created; search)")
    def get(self, request):
        return self.list_response(request)

    @extend_schema(
        tags=["leads"],
        request=s.LeadInputSerializer,
        responses={201: s.LeadCreatedSerializer},
        summary="Add a client lead (scored, assigned, duplicates reported)",
    )
    def post(self, request):
        return self.create(request)


class RecruitLeadListCreateApi(_LeadListCreateApi):
    list_key = "recruit_leads"
    kind = LeadKind.RECRUIT

    @extend_schema(tags=["leads"], summary="Recruit leads (filters: status, source, agent, score, created; search)")
    def get(self, request):
        return self.list_response(request)

    @extend_schema(
        tags=["leads"],
        request=s.LeadInputSerializer,
        responses={201: s.LeadCreatedSerializer},
        summary="Add a recruit lead (scored, assigned, duplicates reported)",
    )
    def post(self, request):
        return self.create(request)


class LeadDetailApi(BaseApi):
    permission_classes = CRM

    @extend_schema(tags=["leads"], responses={200: s.LeadOutputSerializer}, summary="A lead with its score")
    def get(self, request, pk):
        return self.ok(s.LeadOutputSerializer(selectors.lead_get_for_user(user=request.user, pk=pk)).data)

    @extend_schema(
        tags=["leads"],
        request=s.LeadUpdateSerializer,
        responses={200: s.LeadOutputSerializer},
        summary="Update a lead: details, assignment, status (New → Contacted → Qualified → Lost with a reason)",
    )
    def put(self, request, pk):
        lead = selectors.lead_get_for_user(user=request.user, pk=pk)
        data = self.parse(s.LeadUpdateSerializer, partial=True)
        lead = self.call(services.lead_update, lead=lead, actor=request.user, **data)
        return self.ok(s.LeadOutputSerializer(selectors.lead_get_for_user(user=request.user, pk=lead.pk)).data)


class LeadActivityCreateApi(BaseApi):
    permission_classes = CRM

    @extend_schema(
        tags=["leads"],
        request=s.ActivityInputSerializer,
        responses={201: s.ActivityCreatedSerializer},
        summary="Log a note, call, email, SMS or meeting on a lead (the score is recomputed)",
    )
    def post(self, request, pk):
        lead = selectors.lead_get_for_user(user=request.user, pk=pk)
        data = self.parse(s.ActivityInputSerializer)
        activity = self.call(services.activity_create, actor=request.user, lead=lead, **data)
        lead = selectors.lead_get_for_user(user=request.user, pk=lead.pk)
        return self.created(
            {"activity": s.ActivityOutputSerializer(activity).data, "lead": s.LeadOutputSerializer(lead).data}
        )


class ClientLeadConvertApi(BaseApi):
    permission_classes = CRM

    @extend_schema(
        tags=["leads"],
        request=s.ClientConvertInputSerializer,
        responses={201: s.ClientConvertOutputSerializer, 200: s.ClientConvertOutputSerializer},
        summary="Convert a client lead into a contact (an existing one when it is the same person) and a deal",
    )
    def post(self, request, pk):
        lead = selectors.lead_get_for_user(user=request.user, pk=pk, kind=LeadKind.CLIENT)
        data = self.parse(s.ClientConvertInputSerializer)
        customer = None
        if "customer_id" in data:
            customer = _visible(customers_visible_to(request.user), data.pop("customer_id"), "customer_id")
        result = self.call(services.client_lead_convert, lead=lead, actor=request.user, customer=customer, **data)
        body = {
            "lead": s.LeadOutputSerializer(result.lead).data,
            "contact": s.ContactRefSerializer(result.customer).data,
            "opportunity": s.OpportunityOutputSerializer(result.opportunity).data,
            "created": result.created,
            "existing_contact": result.existing_contact,
        }
        return self.created(body) if result.created else self.ok(body)


class RecruitLeadConvertApi(BaseApi):
    permission_classes = CRM

    @extend_schema(
        tags=["leads"],
        request=None,
        responses={201: s.RecruitConvertOutputSerializer, 200: s.RecruitConvertOutputSerializer},
        summary="Convert a recruit lead into an agent candidate (recruiting pipeline: Applied)",
    )
    def post(self, request, pk):
        lead = selectors.lead_get_for_user(user=request.user, pk=pk, kind=LeadKind.RECRUIT)
        lead, candidate, created = self.call(services.recruit_lead_convert, lead=lead, actor=request.user)
        body = {
            "lead": s.LeadOutputSerializer(lead).data,
            "candidate": s.CandidateOutputSerializer(candidate).data,
            "created": created,
        }
        return self.created(body) if created else self.ok(body)


class LeadMergeApi(BaseApi):
    permission_classes = CRM

    @extend_schema(
        tags=["leads"],
        request=s.LeadMergeInputSerializer,
        responses={201: s.LeadMergeOutputSerializer},
        summary="Merge this duplicate lead into another lead or a contact (its activities, tasks and appointments "
        "move; undo within the window)",
    )
    def post(self, request, pk):
        lead = selectors.lead_get_for_user(user=request.user, pk=pk)
        data = self.parse(s.LeadMergeInputSerializer)
        into_lead = into_customer = None
        if "into_lead_id" in data:
            into_lead = _visible(selectors.leads_visible_to(request.user), data.pop("into_lead_id"), "into_lead_id")
        else:
            into_customer = _visible(customers_visible_to(request.user), data.pop("into_contact_id"), "into_contact_id")
        merge = self.call(
            merging.lead_merge,
            lead=lead,
            actor=request.user,
            into_lead=into_lead,
            into_customer=into_customer,
            reason=data.get("reason", ""),
        )
        return self.created(s.LeadMergeOutputSerializer(merge).data)


class LeadMergeUndoApi(BaseApi):
    permission_classes = CRM

    @extend_schema(
        tags=["leads"],
        request=None,
        responses={200: s.LeadMergeUndoneSerializer},
        summary="Undo a duplicate merge (within the window, once): everything that moved goes back",
    )
    def post(self, request, pk):
        merge = selectors.lead_merge_get_for_user(user=request.user, pk=pk)
        merge, kept = self.call(merging.lead_merge_undo, merge=merge, actor=request.user)
        merge = selectors.lead_merge_get_for_user(user=request.user, pk=merge.pk)
        return self.ok({"merge": s.LeadMergeOutputSerializer(merge).data, "kept_fields": kept})


class LeadBulkMapApi(BaseApi):
    permission_classes = CRM

    @extend_schema(
        tags=["leads"],
        request=s.BulkMapInputSerializer,
        responses={200: s.BulkMapOutputSerializer},
        summary="Map spreadsheet headers to lead fields, each with a confidence and the reason (headers the "
        "deterministic matcher cannot place go to the AI step)",
    )
    def post(self, request):
        data = self.parse(s.BulkMapInputSerializer)
        return self.ok(mapping.map_lead_headers(data["headers"], user=request.user))


class LeadBulkImportApi(BaseApi):
    permission_classes = CRM
    parser_classes = [MultiPartParser, FormParser]
    throttle_classes = [GeneralRateThrottle, UploadRateThrottle]

    @extend_schema(
        tags=["leads"],
        request={"multipart/form-data": s.BulkImportInputSerializer},
        responses={200: s.BulkImportOutputSerializer},
        summary="Import leads from a CSV/XLSX (headers mapped, duplicates skipped and reported, bad rows listed)",
    )
    def post(self, request):
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
        if declared > settings.CRM_IMPORT_MAX_BYTES + 64 * 1024:
            raise PayloadTooLarge(f"The file is larger than {settings.CRM_IMPORT_MAX_BYTES // (1024 * 1024)} MB.")
        data = self.parse(s.BulkImportInputSerializer)
        report = self.call(
            imports.leads_import, file=data["file"], kind=data["kind"], actor=request.user, team=data.get("team")
        )
        rejected = report["failed"] + report["skipped_duplicates"]
        path = reverse("v1:leads-import-failed-rows", kwargs={"pk": report["import_id"]})
        report["failed_rows_url"] = request.build_absolute_uri(path) if rejected else None
        return self.ok(report)


class LeadImportFailedRowsApi(BaseApi):
    permission_classes = CRM_IMPORTERS

    @extend_schema(
        tags=["leads"],
        parameters=[
            OpenApiParameter(
                "file_format", str, enum=["csv", "xlsx"], description="csv (default) or xlsx.", required=False
            )
        ],
        responses={
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="The rejected rows, CSV"),
            (200, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"): OpenApiResponse(
                OpenApiTypes.BINARY, description="The rejected rows, XLSX"
            ),
        },
        summary="A bulk import's rejected rows (bad or duplicate) with the reason: fix and upload again",
    )
    def get(self, request, pk):
        record = selectors.lead_import_get_for_user(user=request.user, pk=pk)
        kind = (request.query_params.get("file_format") or "csv").lower()
        if kind not in ("csv", "xlsx"):
            raise ValidationError({"file_format": ["Must be csv or xlsx."]})
        if kind == "xlsx":
            body = imports.failed_rows_xlsx(record)
            content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        else:
            body, content_type = imports.failed_rows_csv(record), "text/csv; charset=utf-8"
        response = HttpResponse(body, content_type=content_type)
        response["Content-Disposition"] = f'attachment; filename="lead-import-{record.pk}-failed-rows.{kind}"'
        return response


# --- opportunities ------------------------------------------------------------------------------------------------


class OpportunityFilterSet(django_filters.FilterSet):
    stage = django_filters.ChoiceFilter(choices=OpportunityStage.choices)
    agent = django_filters.NumberFilter(field_name="agent_id")
    team = django_filters.NumberFilter(field_name="team_id")
    product_line = django_filters.CharFilter(field_name="product_line__code")
    value_min = django_filters.NumberFilter(field_name="value", lookup_expr="gte")
    value_max = django_filters.NumberFilter(field_name="value", lookup_expr="lte")
    expected_close_from = django_filters.DateFilter(field_name="expected_close", lookup_expr="gte")
    expected_close_to = django_filters.DateFilter(field_name="expected_close", lookup_expr="lte")
    customer = django_filters.NumberFilter(field_name="customer_id")
    suggested = django_filters.BooleanFilter(help_text="Only the cross-sell gaps the recommendations proposed.")

    class Meta:
        model = Opportunity
        fields = ["stage"]


class OpportunityListApi(BaseListApi):
    permission_classes = CRM
    serializer_class = s.OpportunityOutputSerializer
    filterset_class = OpportunityFilterSet
    model = Opportunity
    list_key = "opportunities"
    search_fields = ("title", "customer__last_name")
    sort_fields = {"created_at": "created_at", "value": "value", "expected_close": "expected_close"}
    default_sort = ("-created_at", "-id")

    def visible_queryset(self, user):
        return selectors.opportunities_visible_to(user)

    @extend_schema(tags=["pipeline"], summary="Opportunities (filters: stage, agent, team, product line, value, close)")
    def get(self, request):
        return self.list_response(request)


def opportunity_detail(request, pk) -> dict:
    opportunity = selectors.opportunity_get_for_user(user=request.user, pk=pk)
    opportunity.timeline_rows = list(selectors.opportunity_timeline(opportunity))
    opportunity.allowed_moves = OPPORTUNITY_WORKFLOW.allowed(request.user, opportunity)
    return s.OpportunityDetailSerializer(opportunity).data


class OpportunityDetailApi(BaseApi):
    permission_classes = CRM

    @extend_schema(tags=["pipeline"], responses={200: s.OpportunityDetailSerializer}, summary="An opportunity")
    def get(self, request, pk):
        return self.ok(opportunity_detail(request, pk))

    @extend_schema(
        tags=["pipeline"],
        request=s.OpportunityUpdateSerializer,
        responses={200: s.OpportunityDetailSerializer},
        summary='Update an opportunity; a stage move ({"stage": "Quoted"}) goes on its timeline',
    )
    def put(self, request, pk):
        opportunity = selectors.opportunity_get_for_user(user=request.user, pk=pk)
        data = self.parse(s.OpportunityUpdateSerializer, partial=True)
        if "policy_id" in data:
            data["policy"] = _visible(policies_visible_to(request.user), data.pop("policy_id"), "policy_id")
        self.call(services.opportunity_update, opportunity=opportunity, actor=request.user, **data)
        return self.ok(opportunity_detail(request, pk))


# --- tasks --------------------------------------------------------------------------------------------------------


class TaskFilterSet(django_filters.FilterSet):
    assigneeId = django_filters.NumberFilter(field_name="assignee_id")  # noqa: N815 (seed 004's camelCase)
    assignee_id = django_filters.NumberFilter(field_name="assignee_id")
    status = django_filters.ChoiceFilter(choices=TaskStatus.choices)
    priority = django_filters.ChoiceFilter(choices=TaskPriority.choices)
    due_from = django_filters.IsoDateTimeFilter(field_name="due_at", lookup_expr="gte")
    due_to = django_filters.IsoDateTimeFilter(field_name="due_at", lookup_expr="lte")
    customer = django_filters.NumberFilter(field_name="customer_id")
    lead = django_filters.NumberFilter(field_name="lead_id")
    opportunity = django_filters.NumberFilter(field_name="opportunity_id")

    class Meta:
        model = Task
        fields = ["status"]


def _task_input(request, data: dict) -> dict:
    data.update(_links(request.user, data))
    if "assignee_id" in data:
        data["assignee"] = _staff(request.user, data.pop("assignee_id"), "assignee_id")
    return data


class TaskListCreateApi(BaseListApi):
    permission_classes = CRM
    serializer_class = s.TaskOutputSerializer
    filterset_class = TaskFilterSet
    model = Task
    list_key = "tasks"
    search_fields = ("title",)
    sort_fields = {"due_at": "due_at", "created_at": "created_at", "priority": "priority"}
    default_sort = ("due_at", "id")

    def visible_queryset(self, user):
        return selectors.tasks_visible_to(user)

    @extend_schema(tags=["tasks"], summary="Tasks (?assigneeId= or ?assignee_id=, ?status=)")
    def get(self, request):
        return self.list_response(request)

    @extend_schema(
        tags=["tasks"], request=s.TaskInputSerializer, responses={201: s.TaskOutputSerializer}, summary="Add a task"
    )
    def post(self, request):
        data = _task_input(request, self.parse(s.TaskInputSerializer))
        task = self.call(services.task_create, actor=request.user, **data)
        return self.created(s.TaskOutputSerializer(task).data)


class TaskDetailApi(BaseApi):
    permission_classes = CRM

    @extend_schema(tags=["tasks"], responses={200: s.TaskOutputSerializer}, summary="A task")
    def get(self, request, pk):
        return self.ok(s.TaskOutputSerializer(selectors.task_get_for_user(user=request.user, pk=pk)).data)

    @extend_schema(
        tags=["tasks"], request=s.TaskUpdateSerializer, responses={200: s.TaskOutputSerializer}, summary="Update a task"
    )
    def put(self, request, pk):
        task = selectors.task_get_for_user(user=request.user, pk=pk)
        data = _task_input(request, self.parse(s.TaskUpdateSerializer, partial=True))
        task = self.call(services.task_update, task=task, actor=request.user, **data)
        return self.ok(s.TaskOutputSerializer(task).data)


# --- appointments ---------------------------------------------------------------------------------------------------


class AppointmentFilterSet(django_filters.FilterSet):
    start = django_filters.IsoDateTimeFilter(field_name="end", lookup_expr="gt", help_text="Range start (ISO 8601).")
    end = django_filters.IsoDateTimeFilter(field_name="start", lookup_expr="lt", help_text="Range end (ISO 8601).")
    agent = django_filters.NumberFilter(field_name="agent_id")
    status = django_filters.ChoiceFilter(choices=AppointmentStatus.choices)
    customer = django_filters.NumberFilter(field_name="customer_id")

    class Meta:
        model = Appointment
        fields = ["status"]


def _appointment_input(request, data: dict) -> dict:
    data.update(_links(request.user, data))
    if "agent_id" in data:
        data["agent"] = _staff(request.user, data.pop("agent_id"), "agent_id")
    return data


def _saved(appointment, conflicts) -> dict:
    appointment.conflicts = conflicts
    return s.AppointmentSavedSerializer(appointment).data


class AppointmentListCreateApi(BaseListApi):
    permission_classes = CRM
    serializer_class = s.AppointmentOutputSerializer
    filterset_class = AppointmentFilterSet
    model = Appointment
    list_key = "appointments"
    search_fields = ("title", "location")
    sort_fields = {"start": "start"}
    default_sort = ("start", "id")

    def visible_queryset(self, user):
        return selectors.appointments_visible_to(user)

    @extend_schema(tags=["calendar"], summary="Appointments overlapping ?start=…&end=…")
    def get(self, request):
        return self.list_response(request)

    @extend_schema(
        tags=["calendar"],
        request=s.AppointmentInputSerializer,
        responses={201: s.AppointmentSavedSerializer},
        summary="Book an appointment (overlaps with the agent's others are reported in `conflicts`)",
    )
    def post(self, request):
        data = _appointment_input(request, self.parse(s.AppointmentInputSerializer))
        appointment, conflicts = self.call(services.appointment_create, actor=request.user, **data)
        return self.created(_saved(appointment, conflicts))


class AppointmentDetailApi(BaseApi):
    permission_classes = CRM

    @extend_schema(tags=["calendar"], responses={200: s.AppointmentOutputSerializer}, summary="An appointment")
    def get(self, request, pk):
        appointment = selectors.appointment_get_for_user(user=request.user, pk=pk)
        return self.ok(s.AppointmentOutputSerializer(appointment).data)

    @extend_schema(
        tags=["calendar"],
        request=s.AppointmentUpdateSerializer,
        responses={200: s.AppointmentSavedSerializer},
        summary="Move, change or cancel an appointment",
    )
    def put(self, request, pk):
        appointment = selectors.appointment_get_for_user(user=request.user, pk=pk)
        data = _appointment_input(request, self.parse(s.AppointmentUpdateSerializer, partial=True))
        appointment, conflicts = self.call(
            services.appointment_update, appointment=appointment, actor=request.user, **data
        )
        return self.ok(_saved(appointment, conflicts))


class CalendarFeedApi(BaseApi):
    """The caller's own ICS feed URL: POST issues a new one (the old stops working), DELETE revokes it."""

    permission_classes = CRM

    @extend_schema(
        tags=["calendar"], request=None, responses={201: s.CalendarFeedSerializer}, summary="Issue my ICS feed URL"
    )
    def post(self, request):
        feed = self.call(services.calendar_feed_issue, agent=request.user)
        path = reverse("v1:calendar-ics", kwargs={"token": calendar.feed_token(feed)})
        return self.created({"url": request.build_absolute_uri(path), "issued_at": feed.updated_at})

    @extend_schema(tags=["calendar"], request=None, responses={204: None}, summary="Revoke my ICS feed URL")
    def delete(self, request):
        services.calendar_feed_revoke(agent=request.user)
        return self.ok(None, status_code=204)


class CalendarIcsApi(BaseApi):
    """The ICS feed itself: no login (calendar apps cannot sign in); the signed token is the credential."""

    permission_classes = [AllowAny]
    authentication_classes = []
    throttle_scope = "anon"

    @extend_schema(
        tags=["calendar"],
        responses={(200, "text/calendar"): OpenApiResponse(OpenApiTypes.STR, description="iCalendar")},
        summary="An agent's appointments as iCalendar (signed, revocable URL)",
    )
    def get(self, request, token):
        feed = calendar.feed_for_token(token)
        if feed is None:
            raise Http404
        body = calendar.agent_ics(feed.agent)
        response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
        response["Cache-Control"] = "private, max-age=300"
        return response


# --- Google Calendar sync (apps.crm.calsync) ----------------------------------------------------------------------


def _connection_data(connection) -> dict:
    if connection is None:
        return {
            "connected": False,
            "provider": "",
            "status": "",
            "account_email": "",
            "calendar_id": "",
            "last_synced_at": None,
            "last_error": "",
            "push_channel_expires_at": None,
            "connected_at": None,
        }
    return {
        "connected": connection.status == CalendarConnectionStatus.CONNECTED,
        "provider": connection.provider,
        "status": connection.status,
        "account_email": connection.account_email,
        "calendar_id": connection.calendar_id,
        "last_synced_at": connection.last_synced_at,
        "last_error": connection.last_error,
        "push_channel_expires_at": connection.channel_expires_at,
        "connected_at": connection.connected_at,
    }


class GoogleCalendarApi(BaseApi):
    """The caller's own calendar connection: its status, or disconnect (stop the channel, revoke, forget).
    Always the caller's own: there is no way to name another person's calendar."""

    permission_classes = CRM_WRITERS

    @extend_schema(tags=["calendar"], responses={200: s.CalendarConnectionSerializer}, summary="My calendar connection")
    def get(self, request):
        connection = CalendarConnection.objects.filter(agent=request.user).first()
        return self.ok(s.CalendarConnectionSerializer(_connection_data(connection)).data)

    @extend_schema(
        tags=["calendar"],
        request=None,
        responses={200: s.CalendarConnectionSerializer, 404: OpenApiResponse(description="Nothing is connected")},
        summary="Disconnect my calendar (the grant is revoked at Google; appointments stay)",
    )
    def delete(self, request):
        connection = calsync.connection_disconnect(agent=request.user)
        return self.ok(s.CalendarConnectionSerializer(_connection_data(connection)).data)


class GoogleCalendarConnectApi(BaseApi):
    """Start linking the caller's own Google Calendar: answers the consent URL to open (state signed and bound to
    the caller, PKCE S256). Nothing is stored until Google answers at the callback."""

    permission_classes = CRM_WRITERS

    @extend_schema(
        tags=["calendar"],
        request=None,
        responses={
            201: s.CalendarConnectStartSerializer,
            422: OpenApiResponse(description="Google Calendar is not configured (client id/secret)"),
        },
        summary="Start connecting my Google Calendar (OAuth 2.0 authorization code with PKCE)",
    )
    def post(self, request):
        url = self.call(calsync.connect_start, agent=request.user)
        return self.created({"authorization_url": url, "expires_in": settings.CRM_CALENDAR_OAUTH_STATE_SECONDS})


class GoogleCalendarCallbackApi(BaseApi):
    """Where Google's consent screen sends the browser back. No login (a redirect carries no bearer token): the
    signed, single-use state bound to the agent who started is the credential, and the code is useless without
    the PKCE verifier we kept."""

    permission_classes = [AllowAny]
    authentication_classes = []
    mfa_exempt = True
    throttle_scope = "anon"

    @extend_schema(
        tags=["calendar"],
        auth=[],
        parameters=[
            OpenApiParameter("state", str, OpenApiParameter.QUERY, required=True),
            OpenApiParameter("code", str, OpenApiParameter.QUERY),
            OpenApiParameter("error", str, OpenApiParameter.QUERY, description="e.g. access_denied"),
        ],
        responses={
            200: s.CalendarConnectionSerializer,
            400: OpenApiResponse(description="Bad, expired or reused state; access denied; no code"),
            422: OpenApiResponse(description="Google refused the code exchange"),
        },
        summary="OAuth 2.0 redirect target: exchange the code and connect the calendar",
    )
    def get(self, request):
        params = request.query_params
        connection = calsync.connect_finish(
            state=params.get("state", ""), code=params.get("code", ""), error=params.get("error", "")
        )
        return self.ok(s.CalendarConnectionSerializer(_connection_data(connection)).data)


class GoogleCalendarSyncApi(BaseApi):
    """Sync the caller's calendar now: pull what changed in Google (sync token; a full sync after a 410), then
    send the appointments not yet there. What happened is answered, event by event counts and errors."""

    permission_classes = CRM_WRITERS

    @extend_schema(
        tags=["calendar"],
        request=None,
        responses={200: s.CalendarSyncResultSerializer, 404: OpenApiResponse(description="Nothing is connected")},
        summary="Sync my calendar now (both ways)",
    )
    def post(self, request):
        result = calsync.calendar_sync_for_agent(agent=request.user)
        return self.ok(s.CalendarSyncResultSerializer(result.as_dict()).data)


class GoogleCalendarNotificationApi(BaseApi):
    """Google's push notifications (events.watch channels): headers only, no body. Verified against the
    channel's secret token on every call; anything else is refused and changes nothing."""

    permission_classes = [AllowAny]
    authentication_classes = []
    mfa_exempt = True
    throttle_classes = []

    @extend_schema(
        tags=["calendar"],
        auth=[],
        request=None,
        parameters=[
            OpenApiParameter("X-Goog-Channel-ID", str, OpenApiParameter.HEADER, required=True),
            OpenApiParameter("X-Goog-Channel-Token", str, OpenApiParameter.HEADER, required=True),
            OpenApiParameter("X-Goog-Resource-State", str, OpenApiParameter.HEADER, required=True),
            OpenApiParameter("X-Goog-Resource-ID", str, OpenApiParameter.HEADER),
            OpenApiParameter("X-Goog-Message-Number", str, OpenApiParameter.HEADER),
        ],
        responses={
            200: s.CalendarNotificationSerializer,
            400: OpenApiResponse(description="Not a push notification (headers missing)"),
            403: OpenApiResponse(description="Unknown channel or wrong channel token (forged): nothing changed"),
        },
        summary="Google Calendar push notification (watch channel)",
    )
    def post(self, request):
        headers = request.headers
        received = calsync.notification_receive(
            channel_id=headers.get("X-Goog-Channel-ID", ""),
            token=headers.get("X-Goog-Channel-Token", ""),
            resource_state=headers.get("X-Goog-Resource-State", ""),
            resource_id=headers.get("X-Goog-Resource-ID", ""),
        )
        return self.ok({"received": received})


# --- agents -------------------------------------------------------------------------------------------------------


class AgentListApi(BaseListApi):
    permission_classes = CRM
    serializer_class = s.AgentWithStatsSerializer
    model = User
    list_key = "agents"
    search_fields = ("first_name", "last_name", "email")
    sort_fields = {
        "name": "last_name",
        "open_leads": "open_leads",
        "pipeline_value": "pipeline_value",
        "premium_written": "premium_written",
        "commission_this_period": "commission_this_period",
    }
    default_sort = ("last_name", "id")

    class AgentFilterSet(django_filters.FilterSet):
        team = django_filters.NumberFilter(field_name="team_id")

        class Meta:
            model = User
            fields = ["team"]

    filterset_class = AgentFilterSet

    def visible_queryset(self, user):
        return selectors.agents_with_stats(user)

    @extend_schema(
        tags=["teams"],
        summary="Agents with their stats (AgentWithStats), one aggregate query",
        parameters=[OpenApiParameter("team", int, description="Only this team's agents.")],
    )
    def get(self, request):
        return self.list_response(request)
