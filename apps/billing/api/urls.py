from apps.core.api.urls import api_path

from . import views

urlpatterns = [
    api_path("payments", views.PaymentListCreateApi.as_view(), "payments-list"),
    api_path("billing/webhooks/<slug:provider>", views.PaymentWebhookApi.as_view(), "billing-webhook"),
    api_path("transactions", views.TransactionListApi.as_view(), "transactions-list"),
    api_path("transactions/export", views.TransactionExportApi.as_view(), "transactions-export"),
    api_path("commissions", views.CommissionListApi.as_view(), "commissions-list"),
    api_path("loyalty/balance", views.LoyaltyBalanceApi.as_view(), "loyalty-balance"),
    api_path("loyalty/redeem", views.LoyaltyRedeemApi.as_view(), "loyalty-redeem"),
    api_path("dashboard/arrears", views.DashboardArrearsApi.as_view(), "dashboard-arrears"),
    api_path("policies/<int:pk>/instalments", views.PolicyInstalmentsApi.as_view(), "policies-instalments"),
]
