from django.urls import path

from . import account_views, customer_views, views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.PortalLoginView.as_view(), name="login"),
    path("logout/", views.PortalLogoutView.as_view(), name="logout"),
    path("reset-password", views.reset_password, name="reset-password"),
    path("policies", customer_views.policy_list, name="policies"),
    path("policies/<int:pk>", customer_views.policy_detail, name="policy"),
    path("claims", customer_views.claim_list, name="claims"),
    path("claims/new", customer_views.claim_new, name="claim-new"),
    path("claims/<int:pk>", customer_views.claim_detail, name="claim"),
    path("claims/<int:pk>/withdraw", customer_views.claim_withdraw, name="claim-withdraw"),
    path("notifications", customer_views.notification_list, name="notifications"),
    path("notifications/read", customer_views.notifications_mark_read, name="notifications-read"),
    path("register", account_views.register, name="register"),
    path("account/link", account_views.account_link, name="account-link"),
    path("forgot-password", account_views.forgot_password, name="forgot-password"),
    path("profile", account_views.profile, name="profile"),
    path("profile/export", account_views.profile_export, name="profile-export"),
    path("profile/mfa", account_views.mfa, name="mfa"),
    path("payments", account_views.payments, name="payments"),
    path("products", account_views.products, name="products"),
    path("products/<slug:code>/quote", account_views.product_quote, name="quote"),
]
