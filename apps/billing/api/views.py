"""Billing endpoints: payments, provider webhooks, the customer's transaction history (+CSV), commission
statements, loyalty balance and redemption, policy instalments."""

import csv
import io
from datetime import datetime, time, timedelta

import django_filters
from django.db.models import Sum
from django.http import HttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import BaseParser
from rest_framework.permissions import AllowAny, BasePermission, IsAuthenticated

from apps.accounts.api.permissions import module_permission
from apps.accounts.roles import Role
from apps.billing import selectors, services
from apps.billing.dashboards import dashboard_arrears
from apps.billing.models import Commission, LoyaltyAccount, Payment, Transaction, TransactionType
from apps.core.api.views import BaseApi, BaseListApi
from apps.customers.selectors import customer_get_for_user, customer_of_user
from apps.policies.selectors import policy_get_for_user

from . import serializers as s

BillingPermission = module_permission("billing")


class StaffOrCustomerReads(BasePermission):
    message = "Your role does not grant access to billing."

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False
        if user.role == Role.CUSTOMER:
            return request.method in ("GET", "HEAD", "OPTIONS") or getattr(view, "customers_may_write", False)
        return BillingPermission().has_permission(request, view)


READERS = [IsAuthenticated, StaffOrCustomerReads]


class PaymentFilterSet(django_filters.FilterSet):
    policy = django_filters.NumberFilter(field_name="policy_id")
    status = django_filters.ChoiceFilter(choices=Payment.Status.choices)
    paid_from = django_filters.IsoDateTimeFilter(field_name="paid_at", lookup_expr="gte")
    paid_to = django_filters.IsoDateTimeFilter(field_name="paid_at", lookup_expr="lt")

    class Meta:
        model = Payment
        fields = ["policy", "status", "paid_from", "paid_to"]


class PaymentListCreateApi(BaseListApi):
    permission_classes = READERS
    serializer_class = s.PaymentSerializer
    filterset_class = PaymentFilterSet
    model = Payment
    list_key = "payments"
    sort_fields = {"paid_at": "paid_at", "amount": "amount"}
    default_sort = ("-created_at", "-id")

    def visible_queryset(self, user):
        return selectors.payments_visible_to(user)

    @extend_schema(tags=["billing"], summary="Payments")
    def get(self, request):
        return self.list_response(request)

    @extend_schema(
        tags=["billing"],
        request=s.PaymentInputSerializer,
        responses={201: s.PaymentSerializer},
        summary="Record a payment received (send an Idempotency-Key header to make retries safe)",
        parameters=[OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER, required=False)],
    )
    def post(self, request):
        data = dict(self.parse(s.PaymentInputSerializer))
        key = request.headers.get("Idempotency-Key", "").strip()
        if len(key) > 100:
            raise ValidationError({"Idempotency-Key": ["At most 100 characters."]})
        policy = policy_get_for_user(user=request.user, pk=data.pop("policy_id"))
        payment = self.call(services.payment_record, policy=policy, actor=request.user, idempotency_key=key, **data)
        return self.created(s.PaymentSerializer(payment).data)


class RawBodyParser(BaseParser):
    """Webhooks are verified over the exact bytes received."""

    media_type = "*/*"

    def parse(self, stream, media_type=None, parser_context=None):
        return stream.read() if stream is not None else b""


class PaymentWebhookApi(BaseApi):
    """Provider callbacks: HMAC-signed (`X-Signature: t=<unix>,v1=<hex>`), idempotent by event id."""

    authentication_classes = []
    permission_classes = [AllowAny]
    mfa_exempt = True
    parser_classes = [RawBodyParser]

    @extend_schema(
        tags=["billing"],
        request={"application/json": OpenApiTypes.OBJECT},
        responses={200: s.WebhookAckSerializer},
        summary="Payment provider webhook",
        parameters=[OpenApiParameter("X-Signature", str, OpenApiParameter.HEADER, required=True)],
    )
    def post(self, request, provider):
        body = request.data if isinstance(request.data, bytes) else b""
        result, payment = self.call(
            services.payment_webhook_receive,
            provider=provider,
            body=body,
            signature_header=request.headers.get("X-Signature", ""),
        )
        return self.ok({"result": result, "payment_id": payment.pk if payment else None})


class TransactionFilterSet(django_filters.FilterSet):
    type = django_filters.MultipleChoiceFilter(choices=TransactionType.choices, distinct=False)
    date_from = django_filters.DateFilter(method="filter_from")
    date_to = django_filters.DateFilter(method="filter_to")
    policy = django_filters.NumberFilter(field_name="policy_id")
    customer = django_filters.NumberFilter(field_name="customer_id")

    class Meta:
        model = Transaction
        fields = ["type", "date_from", "date_to", "policy", "customer"]

    # Day bounds as datetimes (not occurred_at::date), so the (account, type, occurred_at) index applies.
    def filter_from(self, queryset, name, value):
        return queryset.filter(occurred_at__gte=_day_start(value))

    def filter_to(self, queryset, name, value):
        return queryset.filter(occurred_at__lt=_day_start(value + timedelta(days=1)))


def _day_start(day):
    return timezone.make_aware(datetime.combine(day, time.min))


class TransactionListApi(BaseListApi):
    """Seed 002 #8: payments, renewals, refunds, claim payouts and discounts, as the customer sees them."""

    permission_classes = READERS
    serializer_class = s.TransactionSerializer
    filterset_class = TransactionFilterSet
    model = Transaction
    list_key = "transactions"
    sort_fields = {"occurred_at": "occurred_at", "amount": "amount"}
    default_sort = ("-occurred_at", "-id")

    def visible_queryset(self, user):
        return selectors.customer_transactions_visible_to(user)

    @extend_schema(tags=["billing"], summary="Transaction history")
    def get(self, request):
        return self.list_response(request)


def _csv_cell(value) -> str:
    """Text cells starting with = + - @ (formula injection) are prefixed with a quote; numbers stay numbers."""
    text = "" if value is None else str(value)
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


class TransactionExportApi(TransactionListApi):
    @extend_schema(
        tags=["billing"],
        responses={(200, "text/csv"): OpenApiResponse(response=OpenApiTypes.STR)},
        summary="Transaction history as CSV (same filters)",
    )
    def get(self, request):
        rows = self.filter_queryset(self.get_queryset())[:50_000]
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(["date", "type", "policy", "description", "amount", "currency"])
        for row in rows:
            writer.writerow(
                [
                    row.occurred_at.date().isoformat(),
                    row.type,
                    _csv_cell(row.policy.policy_number if row.policy else ""),
                    _csv_cell(row.description),
                    str(row.amount),
                    row.currency,
                ]
            )
        response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="transactions.csv"'
        return response


class CommissionListApi(BaseListApi):
    permission_classes = [IsAuthenticated, BillingPermission]
    serializer_class = s.CommissionSerializer
    model = Commission
    list_key = "commissions"
    filterset_fields = ["agent", "status", "policy"]
    sort_fields = {"created_at": "created_at", "amount": "amount"}
    default_sort = ("-created_at", "-id")

    def visible_queryset(self, user):
        return selectors.commissions_visible_to(user)

    @extend_schema(tags=["billing"], summary="Commission statement (own; managers: their team's)")
    def get(self, request):
        response = self.list_response(request)
        totals = self.filter_queryset(self.get_queryset()).values("currency").annotate(total=Sum("amount"))
        response.data["totals"] = {row["currency"]: str(row["total"]) for row in totals}
        return response


class LoyaltyBalanceApi(BaseApi):
    permission_classes = READERS

    @extend_schema(
        tags=["billing"],
        parameters=[OpenApiParameter("customer_id", int, required=False)],
        responses={
            200: inline_serializer(
                "LoyaltyBalance",
                {
                    "customer_id": serializers.IntegerField(),
                    "balance": serializers.IntegerField(),
                    "value": serializers.CharField(),
                    "entries": serializers.ListField(),
                },
            )
        },
        summary="Loyalty points balance",
    )
    def get(self, request):
        customer = _customer_for(request, request.query_params.get("customer_id"))
        account = LoyaltyAccount.objects.filter(customer=customer).first()
        balance = account.balance if account else 0
        entries = (
            list(account.entries.values("kind", "points", "reason", "expires_on", "created_at")[:50])
            if (account)
            else []
        )
        from django.conf import settings

        return self.ok(
            {
                "customer_id": customer.pk,
                "balance": balance,
                "value": str(balance * settings.LOYALTY_POINT_VALUE),
                "entries": entries,
            }
        )


class LoyaltyRedeemApi(BaseApi):
    permission_classes = READERS
    customers_may_write = True

    @extend_schema(
        tags=["billing"],
        request=s.LoyaltyRedeemSerializer,
        summary="Redeem points as a discount",
        responses={200: inline_serializer("LoyaltyRedeemed", {"balance": serializers.IntegerField()})},
    )
    def post(self, request):
        data = self.parse(s.LoyaltyRedeemSerializer)
        customer = _customer_for(request, data.get("customer_id"))
        policy = policy_get_for_user(user=request.user, pk=data["policy_id"], customer_id=customer.pk)
        self.call(services.loyalty_redeem, customer=customer, policy=policy, points=data["points"], actor=request.user)
        return self.ok({"balance": LoyaltyAccount.objects.get(customer=customer).balance})


def _customer_for(request, customer_id):
    if request.user.role == Role.CUSTOMER:
        return customer_of_user(request.user)
    if not customer_id:
        raise ValidationError({"customer_id": ["Required for staff."]})
    try:
        return customer_get_for_user(user=request.user, pk=int(customer_id))
    except (TypeError, ValueError):
        raise ValidationError({"customer_id": ["Must be a number."]}) from None


class PolicyInstalmentsApi(BaseApi):
    permission_classes = READERS

    @extend_schema(
        tags=["billing"],
        responses={200: s.InstalmentSerializer(many=True)},
        summary="A policy's premium schedule and balance",
    )
    def get(self, request, pk):
        policy = policy_get_for_user(user=request.user, pk=pk)
        return self.ok(
            {
                "instalments": s.InstalmentSerializer(policy.instalments.order_by("sequence"), many=True).data,
                "outstanding": str(services.customer_policy_balance(policy)),
                "currency": policy.currency,
            }
        )


class DashboardArrearsApi(BaseApi):
    """Arrears among the policies the user may see: overdue instalments, policies in arrears, amount overdue per
    currency (JSON numbers) and open lapses for non-payment."""

    permission_classes = [IsAuthenticated, BillingPermission]

    @extend_schema(
        tags=["dashboard"],
        responses={
            200: inline_serializer(
                "DashboardArrears",
                {
                    "overdue_instalments": serializers.IntegerField(),
                    "policies_in_arrears": serializers.IntegerField(),
                    "amount_overdue": serializers.DictField(child=serializers.FloatField()),
                    "lapsed_for_non_payment": serializers.IntegerField(),
                },
            )
        },
        summary="Arrears: overdue instalments and amounts, policies in arrears, lapses for non-payment",
    )
    def get(self, request):
        return self.ok(dashboard_arrears(user=request.user))
