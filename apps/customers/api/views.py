"""Seed 000 Customer Management API (+ seed 004 `/contacts` over the same records)."""

import django_filters
from django.db.models.fields.json import KT
from django.db.models.functions import Lower
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import BasePermission, IsAuthenticated

from apps.accounts.api.permissions import MfaSatisfied, module_permission
from apps.accounts.roles import Role
from apps.core.api.views import BaseApi, BaseListApi
from apps.core.columns import PERSON_SUMMARY, list_columns
from apps.customers import selectors, services
from apps.customers.hooks import contact_related
from apps.customers.models import Customer, Interaction, KycStatus
from apps.customers.timeline import linked_entries

from . import serializers as s

CustomersPermission = module_permission("customers")


class CustomerOrStaffPermission(BasePermission):
    """Staff with the customers module, or a customer (the selector then limits them to their own record)."""

    message = "Your role does not grant access to customers."

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False
        if user.role == Role.CUSTOMER:
            return request.method in ("GET", "HEAD", "OPTIONS", "PATCH", "PUT")
        return CustomersPermission().has_permission(request, view)


class CustomerOnlyPermission(BasePermission):
    message = "Only customers have their own profile here."

    def has_permission(self, request, view) -> bool:
        return bool(request.user and request.user.is_authenticated and request.user.role == Role.CUSTOMER)


STAFF = [IsAuthenticated, MfaSatisfied, CustomersPermission]
STAFF_OR_SELF = [IsAuthenticated, MfaSatisfied, CustomerOrStaffPermission]
SELF = [IsAuthenticated, MfaSatisfied, CustomerOnlyPermission]


class CustomerFilterSet(django_filters.FilterSet):
    kyc_status = django_filters.ChoiceFilter(choices=KycStatus.choices)
    agent = django_filters.NumberFilter(field_name="agent_id")
    city = django_filters.CharFilter(method="filter_city", max_length=100)
    created_from = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_to = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = Customer
        fields = ["kyc_status", "agent", "city", "created_from", "created_to"]

    def filter_city(self, queryset, name, value):
        # Same expression as the customers_city_ci index.
        return queryset.annotate(city_ci=Lower(KT("address__city"))).filter(city_ci=value.strip().lower())


def _customer_changes(data: dict) -> dict:
    return dict(data)


class CustomerListCreateApi(BaseListApi):
    permission_classes = STAFF
    serializer_class = s.CustomerOutputSerializer
    filterset_class = CustomerFilterSet
    model = Customer
    list_key = "customers"
    search_vector_field = "search_vector"
    sort_fields = {
        "name": "last_name",
        "first_name": "first_name",
        "customer_code": "customer_code",
        "created_at": "created_at",
        "kyc_status": "kyc_status",
    }
    default_sort = ("last_name", "first_name", "id")

    def visible_queryset(self, user):
        # The search document is matched in SQL, never shown; of the agent, the summary only.
        return list_columns(
            selectors.customers_visible_to(user), skip=("search_vector",), related={"agent": PERSON_SUMMARY}
        )

    def visible_search_terms(self, user):
        # a one-word search of the unfiltered list, ranked from the customers' term index (SearchBackend)
        return selectors.search_terms_visible_to(user)

    @extend_schema(tags=["customers"], summary="List customers (paginated, filterable, sortable)")
    def get(self, request):
        return self.list_response(request)

    @extend_schema(
        tags=["customers"],
        request=s.CustomerInputSerializer,
        responses={201: s.CustomerOutputSerializer},
        summary="Create a customer",
    )
    def post(self, request):
        data = self.parse(s.CustomerInputSerializer)
        customer = self.call(services.customer_create, actor=request.user, **data)
        return self.created(s.CustomerOutputSerializer(customer).data)


class CustomerDetailApi(BaseApi):
    permission_classes = STAFF_OR_SELF

    def _customer(self, request, pk):
        return selectors.customer_get_for_user(user=request.user, pk=pk)

    def _input(self, request):
        return s.CustomerSelfUpdateSerializer if request.user.role == Role.CUSTOMER else s.CustomerInputSerializer

    @extend_schema(tags=["customers"], responses={200: s.CustomerOutputSerializer}, summary="Customer details")
    def get(self, request, pk):
        return self.ok(s.CustomerOutputSerializer(self._customer(request, pk)).data)

    @extend_schema(
        tags=["customers"],
        request=s.CustomerInputSerializer,
        responses={200: s.CustomerOutputSerializer},
        summary="Replace a customer (PUT: absent optional fields are cleared)",
    )
    def put(self, request, pk):
        customer = self._customer(request, pk)
        data = self.parse(self._input(request))
        replace = request.user.role != Role.CUSTOMER
        customer = self.call(services.customer_update, customer=customer, actor=request.user, replace=replace, **data)
        return self.ok(s.CustomerOutputSerializer(customer).data)

    @extend_schema(
        tags=["customers"],
        request=s.CustomerInputSerializer,
        responses={200: s.CustomerOutputSerializer},
        summary="Update some fields of a customer",
    )
    def patch(self, request, pk):
        customer = self._customer(request, pk)
        data = self.parse(self._input(request), partial=True)
        customer = self.call(services.customer_update, customer=customer, actor=request.user, **data)
        return self.ok(s.CustomerOutputSerializer(customer).data)

    @extend_schema(tags=["customers"], responses={204: None}, summary="Soft-delete a customer")
    def delete(self, request, pk):
        customer = self._customer(request, pk)
        self.call(services.customer_delete, customer=customer, actor=request.user)
        return self.ok(None, status_code=204)


class CustomerMeApi(BaseApi):
    """The signed-in customer's own record (seed 002 #3)."""

    permission_classes = SELF

    @extend_schema(tags=["customers"], responses={200: s.CustomerOutputSerializer}, summary="My customer profile")
    def get(self, request):
        return self.ok(s.CustomerOutputSerializer(selectors.customer_of_user(request.user)).data)

    @extend_schema(
        tags=["customers"],
        request=s.CustomerSelfUpdateSerializer,
        responses={200: s.CustomerOutputSerializer},
        summary="Update my contact details and preferences",
    )
    def patch(self, request):
        customer = selectors.customer_of_user(request.user)
        data = self.parse(s.CustomerSelfUpdateSerializer, partial=True)
        customer = self.call(services.customer_update, customer=customer, actor=request.user, **data)
        return self.ok(s.CustomerOutputSerializer(customer).data)


def _zip_response(content: bytes, customer: Customer) -> HttpResponse:
    response = HttpResponse(content, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{customer.customer_code}-personal-data.zip"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


_ZIP = OpenApiResponse(response=OpenApiTypes.BINARY, description="application/zip with data.json")


class CustomerExportApi(BaseApi):
    """GDPR access/portability export of one customer (admins and managers)."""

    permission_classes = [IsAuthenticated, MfaSatisfied, module_permission("customers")]

    @extend_schema(tags=["customers"], responses={(200, "application/zip"): _ZIP}, summary="GDPR export (zip)")
    def get(self, request, pk):
        if request.user.role not in (Role.ADMIN, Role.MANAGER):
            self.permission_denied(request, "Only managers and administrators export personal data.")
        customer = selectors.customer_get_for_user(user=request.user, pk=pk)
        return _zip_response(
            services.customer_export(customer=customer, actor=request.user, request=request._request), customer
        )


class CustomerMeExportApi(BaseApi):
    permission_classes = SELF

    @extend_schema(tags=["customers"], responses={(200, "application/zip"): _ZIP}, summary="Export my data (zip)")
    def get(self, request):
        customer = selectors.customer_of_user(request.user)
        return _zip_response(
            services.customer_export(customer=customer, actor=request.user, request=request._request), customer
        )


class CustomerEraseApi(BaseApi):
    permission_classes = [IsAuthenticated, MfaSatisfied, module_permission("settings")]  # admins

    @extend_schema(
        tags=["customers"],
        request=s.ErasureInputSerializer,
        responses={200: s.CustomerOutputSerializer},
        summary="GDPR erasure: anonymise personal data, keep records required for retention",
    )
    def post(self, request, pk):
        customer = selectors.customer_get_for_user(user=request.user, pk=pk)
        data = self.parse(s.ErasureInputSerializer)
        customer = self.call(
            services.customer_erase,
            customer=customer,
            actor=request.user,
            reason=data["reason"],
            request=request._request,
        )
        return self.ok(s.CustomerOutputSerializer(customer).data)


class CustomerRestoreApi(BaseApi):
    permission_classes = [IsAuthenticated, MfaSatisfied, module_permission("settings")]  # admins

    @extend_schema(
        tags=["customers"],
        request=None,
        responses={200: s.CustomerOutputSerializer},
        summary="Restore a soft-deleted customer",
    )
    def post(self, request, pk):
        try:
            customer = self.call(services.customer_restore, customer_id=int(pk), actor=request.user)
        except Customer.DoesNotExist:
            from django.http import Http404

            raise Http404 from None
        return self.ok(s.CustomerOutputSerializer(customer).data)


# --- interactions --------------------------------------------------------------------------------


class InteractionListCreateApi(BaseListApi):
    permission_classes = STAFF
    serializer_class = s.InteractionOutputSerializer
    model = Interaction
    list_key = "interactions"
    search_fields = ("summary",)
    sort_fields = {"occurred_at": "occurred_at", "type": "type"}
    default_sort = ("-occurred_at", "-id")
    filterset_fields = ["type", "direction"]

    def visible_queryset(self, user):
        customer = selectors.customer_get_for_user(user=user, pk=self.kwargs["pk"])
        return selectors.interactions_visible_to(user, customer=customer)

    @extend_schema(tags=["customers"], summary="List a customer's interactions")
    def get(self, request, pk):
        return self.list_response(request)

    @extend_schema(
        tags=["customers"],
        request=s.InteractionInputSerializer,
        responses={201: s.InteractionOutputSerializer},
        summary="Log an interaction",
    )
    def post(self, request, pk):
        customer = selectors.customer_get_for_user(user=request.user, pk=pk)
        data = self.parse(s.InteractionInputSerializer)
        interaction = self.call(services.interaction_create, customer=customer, author=request.user, **data)
        return self.created(s.InteractionOutputSerializer(interaction).data)


class InteractionDetailApi(BaseApi):
    permission_classes = STAFF

    def get_permissions(self):
        if self.request.method == "DELETE":  # highly restricted: administrators only
            return [IsAuthenticated(), MfaSatisfied(), module_permission("settings")()]
        return super().get_permissions()

    def _interaction(self, request, pk, interaction_id):
        customer = selectors.customer_get_for_user(user=request.user, pk=pk)
        return selectors.interaction_get_for_user(user=request.user, customer=customer, pk=interaction_id)

    @extend_schema(tags=["customers"], responses={200: s.InteractionOutputSerializer}, summary="Interaction details")
    def get(self, request, pk, interaction_id):
        return self.ok(s.InteractionOutputSerializer(self._interaction(request, pk, interaction_id)).data)

    @extend_schema(
        tags=["customers"],
        request=s.InteractionInputSerializer,
        responses={200: s.InteractionOutputSerializer},
        summary="Update an interaction (its author within 24 h, or a manager)",
    )
    def put(self, request, pk, interaction_id):
        interaction = self._interaction(request, pk, interaction_id)
        data = self.parse(s.InteractionInputSerializer)
        interaction = self.call(services.interaction_update, interaction=interaction, actor=request.user, **data)
        return self.ok(s.InteractionOutputSerializer(interaction).data)

    @extend_schema(
        tags=["customers"],
        request=s.InteractionDeleteSerializer,
        responses={204: None},
        parameters=[OpenApiParameter("reason", str, description="Why (or in the JSON body)")],
        summary="Delete an interaction (admins, with a reason kept in the audit trail)",
    )
    def delete(self, request, pk, interaction_id):
        interaction = self._interaction(request, pk, interaction_id)
        reason = request.query_params.get("reason") or (
            request.data.get("reason") if hasattr(request.data, "get") else None
        )
        if not reason:
            raise ValidationError({"reason": ["A reason is required to delete an interaction."]})
        self.call(
            services.interaction_delete,
            interaction=interaction,
            actor=request.user,
            reason=reason,
            request=request._request,
        )
        return self.ok(None, status_code=204)


# --- seed 004 contacts: the same records under the CRM's name ---------------------------------------


class ContactListCreateApi(CustomerListCreateApi):
    list_key = "contacts"

    @extend_schema(tags=["contacts"], summary="List contacts (= customers)")
    def get(self, request):
        return self.list_response(request)

    @extend_schema(
        tags=["contacts"],
        request=s.CustomerInputSerializer,
        responses={201: s.CustomerOutputSerializer},
        summary="Create a contact",
    )
    def post(self, request):
        return super().post(request)


class ContactDetailApi(CustomerDetailApi):
    """Seed 004 lists GET and PUT for a contact; deleting and partial updates live under /customers."""

    permission_classes = STAFF
    http_method_names = ["get", "put", "head", "options"]

    @extend_schema(
        tags=["contacts"],
        responses={200: s.ContactDetailSerializer},
        summary="Contact details with related policies, activities, opportunities, tasks and appointments",
    )
    def get(self, request, pk):
        customer = self._customer(request, pk)
        data = dict(s.CustomerOutputSerializer(customer).data)
        related = {name: [] for name in s.ContactDetailSerializer.RELATED}
        for provider in contact_related.providers():  # the apps above customers contribute their parts
            related.update(provider(customer, request.user))
        linked = linked_entries(kind="customer", object_id=customer.pk, user=request.user)
        return self.ok(data | related | {"linked": s.LinkedEntrySerializer(linked, many=True).data})

    @extend_schema(
        tags=["contacts"],
        request=s.CustomerInputSerializer,
        responses={200: s.CustomerOutputSerializer},
        summary="Update a contact",
    )
    def put(self, request, pk):
        return super().put(request, pk)
