from apps.core.urls import slash_optional_path

from . import account_views, assistant_views, customer_views, support_views, survey_views, views

app_name = "portal"

urlpatterns = [
    slash_optional_path("", views.home, name="home"),
    slash_optional_path("login", views.PortalLoginView.as_view(), name="login"),
    slash_optional_path("logout", views.PortalLogoutView.as_view(), name="logout"),
    slash_optional_path("reset-password", views.reset_password, name="reset-password"),
    slash_optional_path("policies", customer_views.policy_list, name="policies"),
    slash_optional_path("policies/<int:pk>", customer_views.policy_detail, name="policy"),
    slash_optional_path("claims", customer_views.claim_list, name="claims"),
    slash_optional_path("claims/new", customer_views.claim_new, name="claim-new"),
    slash_optional_path("claims/<int:pk>", customer_views.claim_detail, name="claim"),
    slash_optional_path("claims/<int:pk>/withdraw", customer_views.claim_withdraw, name="claim-withdraw"),
    slash_optional_path("notifications", customer_views.notification_list, name="notifications"),
    slash_optional_path("notifications/read", customer_views.notifications_mark_read, name="notifications-read"),
    slash_optional_path("register", account_views.register, name="register"),
    slash_optional_path("account/link", account_views.account_link, name="account-link"),
    slash_optional_path("forgot-password", account_views.forgot_password, name="forgot-password"),
    slash_optional_path("profile", account_views.profile, name="profile"),
    slash_optional_path("profile/preferences", account_views.consent_preferences, name="preferences"),
    slash_optional_path("profile/export", account_views.profile_export, name="profile-export"),
    slash_optional_path("profile/mfa", account_views.mfa, name="mfa"),
    slash_optional_path("payments", account_views.payments, name="payments"),
    slash_optional_path("payments/<int:pk>/pay", account_views.pay_now, name="pay-now"),
    slash_optional_path("products", account_views.products, name="products"),
    slash_optional_path("products/<slug:code>/quote", account_views.product_quote, name="quote"),
    slash_optional_path("quotes", account_views.quote_list, name="quotes"),
    slash_optional_path("quotes/<uuid:reference>", account_views.quote_detail, name="quote-detail"),
    slash_optional_path("help", support_views.help_centre, name="help"),
    slash_optional_path("assistant", assistant_views.assistant_chat, name="assistant"),
    slash_optional_path("help/faqs/<int:pk>/vote", support_views.faq_vote, name="faq-vote"),
    slash_optional_path("support/new", support_views.contact, name="contact"),
    slash_optional_path("support/requests", support_views.request_list, name="requests"),
    slash_optional_path("support/requests/<int:pk>", support_views.request_detail, name="request"),
    slash_optional_path("support/requests/<int:pk>/reopen", support_views.request_reopen, name="request-reopen"),
    slash_optional_path("survey/<int:pk>/<str:token>", survey_views.survey_answer, name="survey"),
]
