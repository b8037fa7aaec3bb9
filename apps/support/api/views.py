"""Service desk endpoints: seed 004 §3.7 tickets (list with filters, open, detail with all messages, add a message
or an internal note, update status/priority/assignee) plus merge; seed 002 #7 FAQs (public, searchable, votes);
seed 004 §3.9 knowledge hub resources (CRUD, by audience)."""

import django_filters
from django.db.models import Q
from django.http import FileResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import SAFE_METHODS, AllowAny, BasePermission, IsAuthenticated

from apps.accounts.api.permissions import module_permission
from apps.accounts.models import Team, User
from apps.accounts.roles import Role
from apps.claims.models import Claim
from apps.core.api.views import BaseApi, BaseListApi
from apps.core.columns import list_columns
from apps.customers.selectors import customer_get_for_user
from apps.documents.services import document_open_for_download
from apps.messaging.selectors.email import emails_visible_to
from apps.policies.models import Policy
from apps.support import selectors, services
from apps.support.faq_cache import faqs_cached
from apps.support.inbound import ticket_from_email
from apps.support.models import (
    Faq,
    KnowledgeResource,
    Ticket,
    TicketCategory,
    TicketMessage,
    TicketPriority,
    TicketStatus,
    TrainingModule,
)
from apps.support.votes import voter_key

from . import serializers as s

SupportPermission = module_permission("support")


class TicketsPermission(BasePermission):
    """Staff by the role matrix's `support` module; customers for their own requests (scoped by the selector)."""

    message = "Your role does not grant access to 'support'."

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False
        if user.role == Role.CUSTOMER:
            return user.can("self_service", "write")
        return user.can("support", "read" if request.method in SAFE_METHODS else "write")


TICKETS = [IsAuthenticated, TicketsPermission]


class TicketFilterSet(django_filters.FilterSet):
    """`all` (or no value) means no filter; `status=active` is every status still being worked."""

    status = django_filters.ChoiceFilter(
        choices=[*TicketStatus.choices, ("active", "Active"), ("all", "All")], method="filter_status"
    )
    priority = django_filters.ChoiceFilter(choices=[*TicketPriority.choices, ("all", "All")], method="filter_all")
    category = django_filters.ChoiceFilter(choices=[*TicketCategory.choices, ("all", "All")], method="filter_all")
    assignee = django_filters.CharFilter(method="filter_assignee", max_length=20, help_text="id, me, none or all")
    team = django_filters.NumberFilter(field_name="team_id")
    customer = django_filters.NumberFilter(field_name="customer_id")
    sla_state = django_filters.ChoiceFilter(
        choices=[(v, v) for v in (*selectors.SLA_STATES, "all")], method="filter_all"
    )

    class Meta:
        model = Ticket
        fields = ["status", "priority", "category", "assignee", "team", "customer", "sla_state"]

    def filter_all(self, queryset, name, value):
        return queryset if value in ("", "all") else queryset.filter(**{name: value})

    def filter_status(self, queryset, name, value):
        if value in ("", "all"):
            return queryset
        if value == "active":
            return queryset.exclude(status__in=(TicketStatus.RESOLVED, TicketStatus.CLOSED))
        return queryset.filter(status=value)

    def filter_assignee(self, queryset, name, value):
        value = value.strip().lower()
        if value in ("", "all"):
            return queryset
        if value == "me":
            return queryset.filter(assignee=self.request.user)
        if value in ("none", "unassigned"):
            return queryset.filter(assignee__isnull=True)
        if not value.isdigit() or int(value) > 2**63 - 1:
            from rest_framework.exceptions import ValidationError

            raise ValidationError({"assignee": ["An id, me, none or all."]})
        return queryset.filter(assignee_id=int(value))


class TicketListCreateApi(BaseListApi):
    permission_classes = TICKETS
    parser_classes = [JSONParser, MultiPartParser, FormParser]
    serializer_class = s.TicketListSerializer
    filterset_class = TicketFilterSet
    model = Ticket
    list_key = "tickets"
    sort_fields = {
        "created_at": "created_at",
        "updated_at": "updated_at",
        "priority": "priority_rank",
        "last_message_at": "last_message_at",
        "sla_due_at": "last_event__sla_due_at",
    }
    default_sort = ("-created_at", "-id")

    def visible_queryset(self, user):
        return list_columns(
            selectors.tickets_for_list(user),
            related={
                "customer": ("first_name", "last_name"),
                "assignee": ("first_name", "last_name"),
                "team": ("name",),
                "last_event": ("sla_due_at", "sla_target", "sla_paused", "sla_remaining_seconds", "sla_breached"),
            },
        )

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        term = (self.request.query_params.get("search") or "").strip()[:100]
        if term:
            queryset = queryset.filter(Q(ticket_number__iexact=term) | Q(subject__icontains=term))
        return queryset

    @extend_schema(
        tags=["tickets"],
        summary="Service tickets (filters: status incl. active/all, priority, category, assignee id/me/none, team, "
        "customer, sla_state; search: number or subject)",
        parameters=[OpenApiParameter("search", str, description="Ticket number or words of the subject.")],
    )
    def get(self, request):
        return self.list_response(request)

    @extend_schema(
        tags=["tickets"],
        request={"application/json": s.TicketCreateSerializer, "multipart/form-data": s.TicketCreateSerializer},
        responses={201: s.TicketDetailSerializer},
        summary="Open a ticket (customers for themselves; staff on a customer's behalf)",
    )
    def post(self, request):
        data = self.parse(s.TicketCreateSerializer)
        user = request.user
        if user.role == Role.CUSTOMER:
            customer = getattr(user, "customer_profile", None)
            if customer is None:
                from apps.core.exceptions import Conflict

                raise Conflict("Your account has no customer record yet.")
            if data.get("customer_id") not in (None, customer.pk):
                from rest_framework.exceptions import ValidationError

                raise ValidationError({"customer_id": ["Customers open requests for themselves only."]})
        else:
            if not data.get("customer_id"):
                from rest_framework.exceptions import ValidationError

                raise ValidationError({"customer_id": ["Whose request is it? Give the customer's id."]})
            customer = customer_get_for_user(user=user, pk=data["customer_id"])
        policy = claim = assignee = None
        if data.get("policy_id"):
            policy = get_object_or_404(Policy, pk=data["policy_id"], customer=customer)
        if data.get("claim_id"):
            claim = get_object_or_404(Claim, pk=data["claim_id"], customer=customer)
        if data.get("assignee_id"):
            assignee = get_object_or_404(User, pk=data["assignee_id"])
        ticket = self.call(
            services.ticket_open,
            actor=user,
            customer=customer,
            subject=data["subject"],
            description=data["description"],
            category=data["category"],
            priority=data.get("priority"),
            policy=policy,
            claim=claim,
            channel="api" if user.role == Role.CUSTOMER else data.get("channel"),
            assignee=assignee,
            files=data.get("files") or (),
            request=request,
        )
        return self.created(ticket_detail(request, ticket.pk))


def ticket_detail(request, pk) -> dict:
    """The ticket as the asking user sees it: the whole conversation for staff, without notes for customers."""
    user = request.user
    ticket = selectors.ticket_get_for_user(user=user, pk=pk)
    ticket = (
        selectors.with_sla_state(Ticket.objects.filter(pk=ticket.pk))
        .select_related("customer", "assignee", "team")
        .get()
    )
    staff = user.role != Role.CUSTOMER
    context = {
        "request": request,
        "messages": selectors.ticket_messages(user=user, ticket=ticket),
        "events": selectors.ticket_events(user=user, ticket=ticket),
        "sla": selectors.ticket_sla(ticket) if staff else None,
        "allowed": sorted(
            {
                services.TICKET_WORKFLOW.transition(move).target  # type: ignore[union-attr]
                for move in services.TICKET_WORKFLOW.allowed(user, ticket)
            }
        ),
    }
    # what the desk does behind the scenes (the SLA, the team) is not the customer's: null for them, as in the list
    return s.TicketDetailSerializer(ticket, context=context).data


class TicketDetailApi(BaseApi):
    permission_classes = TICKETS

    @extend_schema(tags=["tickets"], responses={200: s.TicketDetailSerializer}, summary="A ticket with all messages")
    def get(self, request, pk):
        return self.ok(ticket_detail(request, pk))

    @extend_schema(
        tags=["tickets"],
        request=s.TicketUpdateSerializer,
        responses={200: s.TicketDetailSerializer},
        summary="Change status (workflow), priority, assignee or team; customers reopen, close or rate",
    )
    def put(self, request, pk):
        ticket = selectors.ticket_get_for_user(user=request.user, pk=pk)
        data = self.parse(s.TicketUpdateSerializer, partial=True)
        kwargs = {}
        if "assignee_id" in data:
            kwargs["assignee"] = (
                get_object_or_404(User, pk=data["assignee_id"]) if data["assignee_id"] is not None else None
            )
        if "team_id" in data:
            kwargs["team"] = get_object_or_404(Team, pk=data["team_id"]) if data["team_id"] is not None else None
        self.call(
            services.ticket_update,
            ticket=ticket,
            actor=request.user,
            status=data.get("status"),
            priority=data.get("priority"),
            satisfaction_rating=data.get("satisfaction_rating"),
            reason=data.get("reason", ""),
            **kwargs,
        )
        return self.ok(ticket_detail(request, pk))


class TicketMessageCreateApi(BaseApi):
    permission_classes = TICKETS
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    @extend_schema(
        tags=["tickets"],
        request={
            "application/json": s.TicketMessageCreateSerializer,
            "multipart/form-data": s.TicketMessageCreateSerializer,
        },
        responses={201: s.TicketMessageSerializer},
        summary="Add a message, or an internal note (staff only); emits ticket:updated",
    )
    def post(self, request, pk):
        ticket = selectors.ticket_get_for_user(user=request.user, pk=pk)
        data = self.parse(s.TicketMessageCreateSerializer)
        message = self.call(
            services.ticket_message_add,
            ticket=ticket,
            actor=request.user,
            body=data["body"],
            internal=data["internal"],
            files=data.get("files") or (),
            request=request,
            channel=data.get("channel"),
        )
        return self.created(s.TicketMessageSerializer(message).data)


class TicketFromEmailApi(BaseApi):
    """An email of the shared inbox as a ticket: it joins the ticket its thread or subject names, or opens one for
    the sender (a known customer) or the customer named. Staff who may see the email and write tickets."""

    permission_classes = [IsAuthenticated, SupportPermission]

    @extend_schema(
        tags=["tickets"],
        request=s.TicketFromEmailSerializer,
        responses={200: s.TicketDetailSerializer, 201: s.TicketDetailSerializer},
        summary="Turn an inbox email into a ticket, or thread it into its ticket (201 opened, 200 joined)",
    )
    def post(self, request):
        data = self.parse(s.TicketFromEmailSerializer)
        email = get_object_or_404(emails_visible_to(request.user), pk=data["email_id"])
        customer = customer_get_for_user(user=request.user, pk=data["customer_id"]) if data.get("customer_id") else None
        already = TicketMessage.objects.filter(email=email).exists()
        ticket = self.call(ticket_from_email, email=email, actor=request.user, customer=customer)
        first = TicketMessage.objects.filter(ticket=ticket).order_by("created_at", "id").values("email_id").first()
        opened = not already and first is not None and first["email_id"] == email.pk
        data = ticket_detail(request, ticket.pk)
        return self.created(data) if opened else self.ok(data)


class TicketMergeApi(BaseApi):
    permission_classes = [IsAuthenticated, SupportPermission]

    @extend_schema(
        tags=["tickets"],
        request=s.TicketMergeSerializer,
        responses={200: s.TicketDetailSerializer},
        summary="Merge this duplicate into another ticket of the same customer",
    )
    def post(self, request, pk):
        ticket = selectors.ticket_get_for_user(user=request.user, pk=pk)
        data = self.parse(s.TicketMergeSerializer)
        into = selectors.ticket_get_for_user(user=request.user, pk=data["into_ticket_id"])
        target = self.call(services.ticket_merge, ticket=ticket, into=into, actor=request.user)
        return self.ok(ticket_detail(request, target.pk))


# --- help centre (public) ------------------------------------------------------------------------------------


class FaqListApi(BaseApi):
    """GET /faqs: the categories and the published FAQs; with `search`, ranked by relevance (PostgreSQL full-text
    search); a search that finds nothing is recorded for the editors."""

    authentication_classes = []
    permission_classes = [AllowAny]
    mfa_exempt = True

    @extend_schema(
        tags=["faqs"],
        parameters=[s.FaqQuerySerializer],
        responses={200: s.FaqListSerializer},
        summary="FAQs by category, or searched (no sign-in needed)",
    )
    def get(self, request):
        params = self.parse(s.FaqQuerySerializer, data=request.query_params)
        term = (params.get("search") or "").strip()
        category = params.get("category") or ""

        def build() -> tuple[dict, bool]:
            faqs = selectors.faqs_search(term) if term else selectors.faqs_published()
            if category:
                faqs = faqs.filter(category__slug=category)
            rows = list(faqs[:50])
            answer = {
                "categories": s.FaqCategorySerializer(selectors.faq_categories(), many=True).data,
                "faqs": s.FaqSerializer(rows, many=True).data,
            }
            return answer, bool(rows)

        # the same for every caller: kept until an FAQ, category or vote changes (apps/support/faq_cache.py)
        answer, found = faqs_cached(term=term, category=category, build=build)
        if term and not found:
            services.faq_search_miss_record(query=term)  # counted each time, cached or not
        return self.ok(answer)


class FaqVoteApi(BaseApi):
    """Signed-in or not: a signed-in person's vote is keyed to them, so it follows them across browsers."""

    permission_classes = [AllowAny]
    mfa_exempt = True

    @extend_schema(
        tags=["faqs"],
        request=s.FaqVoteSerializer,
        responses={200: s.FaqVoteResultSerializer},
        summary="Was this helpful? (one vote per person; voting again changes it)",
    )
    def post(self, request, pk):
        faq = get_object_or_404(Faq, pk=pk, is_published=True)
        data = self.parse(s.FaqVoteSerializer)
        services.faq_vote(faq=faq, voter=voter_key(request), helpful=data["helpful"])
        tally = selectors.faqs_published().get(pk=faq.pk)
        return self.ok({"id": faq.pk, "helpful_yes": tally.helpful_yes, "helpful_no": tally.helpful_no})


# --- knowledge hub -------------------------------------------------------------------------------------------


class KnowledgePermission(BasePermission):
    """Reading is open (the selector shows each caller their audience's resources); editing is staff's."""

    message = "Your role does not grant access to 'support'."

    def has_permission(self, request, view) -> bool:
        if request.method in SAFE_METHODS:
            return True
        user = request.user
        return bool(user and user.is_authenticated and user.can("support", "write"))


class KnowledgeFilterSet(django_filters.FilterSet):
    audience = django_filters.CharFilter()
    category = django_filters.CharFilter()
    kind = django_filters.CharFilter()
    tag = django_filters.CharFilter(field_name="tags", lookup_expr="contains", method="filter_tag")

    class Meta:
        model = KnowledgeResource
        fields = ["audience", "category", "kind", "tag"]

    def filter_tag(self, queryset, name, value):
        return queryset.filter(tags__contains=[value])


class KnowledgeListCreateApi(BaseListApi):
    permission_classes = [KnowledgePermission]
    parser_classes = [JSONParser, MultiPartParser, FormParser]
    serializer_class = s.KnowledgeResourceSerializer
    filterset_class = KnowledgeFilterSet
    model = KnowledgeResource
    list_key = "resources"
    search_vector_field = "search_vector"
    sort_fields = {"title": "title", "updated_at": "updated_at"}
    default_sort = ("title", "id")

    def visible_queryset(self, user):
        return selectors.knowledge_visible_to(user)

    @extend_schema(tags=["knowledge"], summary="Knowledge hub resources for your audience (search, tag, category)")
    def get(self, request):
        return self.list_response(request)

    @extend_schema(
        tags=["knowledge"],
        request={
            "application/json": s.KnowledgeResourceInputSerializer,
            "multipart/form-data": s.KnowledgeResourceInputSerializer,
        },
        responses={201: s.KnowledgeResourceDetailSerializer},
        summary="Add a resource (multipart with `file`: a document, through the documents pipeline)",
    )
    def post(self, request):
        data = self.parse(s.KnowledgeResourceInputSerializer)
        resource = self.call(services.knowledge_resource_create, actor=request.user, request=request._request, **data)
        return self.created(s.KnowledgeResourceDetailSerializer(resource).data)


class KnowledgeDetailApi(BaseApi):
    permission_classes = [KnowledgePermission]
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    @extend_schema(tags=["knowledge"], responses={200: s.KnowledgeResourceDetailSerializer}, summary="A resource")
    def get(self, request, pk):
        resource = selectors.knowledge_get_for_user(user=request.user, pk=pk)
        data = s.KnowledgeResourceDetailSerializer(resource).data
        if request.user.is_anonymous or request.user.role == Role.CUSTOMER:
            data["versions"] = []  # earlier texts may have had another audience
        return self.ok(data)

    @extend_schema(
        tags=["knowledge"],
        request={
            "application/json": s.KnowledgeResourceInputSerializer,
            "multipart/form-data": s.KnowledgeResourceInputSerializer,
        },
        responses={200: s.KnowledgeResourceDetailSerializer},
        summary="Edit a resource (the previous text and file are kept as a version)",
    )
    def put(self, request, pk):
        resource = selectors.knowledge_get_for_user(user=request.user, pk=pk)
        data = self.parse(s.KnowledgeResourceInputSerializer, partial=True)
        resource = self.call(
            services.knowledge_resource_update,
            resource=resource,
            actor=request.user,
            request=request._request,
            **data,
        )
        return self.ok(
            s.KnowledgeResourceDetailSerializer(
                selectors.knowledge_get_for_user(user=request.user, pk=resource.pk)
            ).data
        )

    @extend_schema(tags=["knowledge"], responses={204: None}, summary="Delete a resource")
    def delete(self, request, pk):
        resource = selectors.knowledge_get_for_user(user=request.user, pk=pk)
        self.call(services.knowledge_resource_delete, resource=resource, actor=request.user)
        return self.ok(None, status_code=204)


class KnowledgeFileApi(BaseApi):
    """A resource's file, for whoever may read the resource: a staff-only resource's file is a 404 to customers
    and anonymous callers, as the resource is. Quarantined files are refused (409); each download is logged."""

    permission_classes = [KnowledgePermission]

    @extend_schema(
        tags=["knowledge"],
        responses={(200, "application/octet-stream"): OpenApiTypes.BINARY},
        summary="Download a resource's file",
    )
    def get(self, request, pk):
        document = selectors.knowledge_file_for_user(user=request.user, pk=pk)
        handle = document_open_for_download(document=document, actor=request.user, request=request._request)
        response = FileResponse(
            handle, content_type=document.mime_type, as_attachment=True, filename=document.original_name
        )
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "private, no-store"
        response["Content-Security-Policy"] = "default-src 'none'; sandbox"
        return response


# --- training (seed 004 §3.9) --------------------------------------------------------------------------------


class TrainingPermission(BasePermission):
    """Every staff role reads its modules and records its own progress; managers and admins edit modules."""

    message = "Training is for staff; managers and administrators edit it."

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not (user and user.is_authenticated) or user.role == Role.CUSTOMER:
            return False
        if request.method in SAFE_METHODS or getattr(view, "staff_writes", False):
            return True
        return user.role in (Role.ADMIN, Role.MANAGER)


class TrainingModuleListCreateApi(BaseListApi):
    permission_classes = [IsAuthenticated, TrainingPermission]
    serializer_class = s.TrainingModuleSerializer
    model = TrainingModule
    list_key = "modules"
    search_fields = ("title",)
    sort_fields = {"title": "title", "created_at": "created_at"}
    default_sort = ("title", "id")

    def visible_queryset(self, user):
        return selectors.training_modules_visible_to(user)

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "role": self.request.user.role}

    @extend_schema(tags=["training"], summary="Training modules for your role, with your progress")
    def get(self, request):
        return self.list_response(request)

    @extend_schema(
        tags=["training"],
        request=s.TrainingModuleInputSerializer,
        responses={201: s.TrainingModuleSerializer},
        summary="Add a module (managers, administrators)",
    )
    def post(self, request):
        data = self.parse(s.TrainingModuleInputSerializer)
        module = self.call(services.training_module_save, actor=request.user, **data)
        return self.created(s.TrainingModuleSerializer(module, context={"role": request.user.role}).data)


class TrainingModuleDetailApi(BaseApi):
    permission_classes = [IsAuthenticated, TrainingPermission]

    def _data(self, request, pk) -> dict:
        module = selectors.training_module_get_for_user(user=request.user, pk=pk)
        return s.TrainingModuleSerializer(module, context={"role": request.user.role}).data

    @extend_schema(tags=["training"], responses={200: s.TrainingModuleSerializer}, summary="A training module")
    def get(self, request, pk):
        return self.ok(self._data(request, pk))

    @extend_schema(
        tags=["training"],
        request=s.TrainingModuleInputSerializer,
        responses={200: s.TrainingModuleSerializer},
        summary="Edit a module (managers, administrators)",
    )
    def put(self, request, pk):
        module = selectors.training_module_get_for_user(user=request.user, pk=pk)
        data = self.parse(s.TrainingModuleInputSerializer, partial=True)
        self.call(services.training_module_save, actor=request.user, module=module, **data)
        return self.ok(self._data(request, pk))

    @extend_schema(tags=["training"], responses={204: None}, summary="Delete a module (managers, administrators)")
    def delete(self, request, pk):
        module = selectors.training_module_get_for_user(user=request.user, pk=pk)
        self.call(services.training_module_delete, actor=request.user, module=module)
        return self.ok(None, status_code=204)


class TrainingProgressApi(BaseApi):
    permission_classes = [IsAuthenticated, TrainingPermission]
    staff_writes = True  # every staff member records their own progress

    @extend_schema(
        tags=["training"],
        request=s.TrainingProgressInputSerializer,
        responses={200: s.TrainingProgressSerializer},
        summary="Start or complete a module (with the quiz score, if it has a quiz)",
    )
    def post(self, request, pk):
        module = selectors.training_module_get_for_user(user=request.user, pk=pk)
        data = self.parse(s.TrainingProgressInputSerializer)
        progress = self.call(
            services.training_progress_record,
            module=module,
            user=request.user,
            action=data["action"],
            score=data.get("score"),
        )
        return self.ok(s.TrainingProgressSerializer(progress).data)


class TrainingOverdueApi(BaseApi):
    permission_classes = [IsAuthenticated, TrainingPermission]

    def check_permissions(self, request):
        super().check_permissions(request)
        if request.user.role not in (Role.ADMIN, Role.MANAGER):
            self.permission_denied(request, message="The overdue list is for managers and administrators.")

    @extend_schema(
        tags=["training"],
        responses={200: s.TrainingOverdueSerializer(many=True)},
        summary="Required training overdue in your teams (managers) or anywhere (administrators)",
    )
    def get(self, request):
        return self.ok(s.TrainingOverdueSerializer(selectors.training_overdue(request.user), many=True).data)
