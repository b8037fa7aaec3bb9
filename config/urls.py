"""Top-level URLs: portal at /, admin at /admin/, API at /api/v1/, docs at /api/docs/, health at /health."""

from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularSwaggerSplitView

from apps.core.api.root import ApiRootView
from apps.core.api.schema_view import SchemaView
from apps.core.views import api_not_found, favicon, health

api_v1 = [
    path("", ApiRootView.as_view(), name="api-root"),
    path("", include("apps.accounts.api.urls")),
    path("", include("apps.audit.api.urls")),
    path("", include("apps.customers.api.urls")),
    path("", include("apps.documents.api.urls")),
    path("", include("apps.catalog.api.urls")),
    path("", include("apps.policies.api.urls")),
    path("", include("apps.billing.api.urls")),
    path("", include("apps.claims.api.urls")),
    path("", include("apps.integrations.api.urls")),
    path("", include("apps.notifications.api.urls")),
    path("", include("apps.messaging.api.urls")),
    path("", include("apps.renewals.api.urls")),
    path("", include("apps.crm.api.urls")),
    path("", include("apps.support.api.urls")),
    path("", include("apps.campaigns.api.urls")),
    path("", include("apps.assistant.api.urls")),
    # Last: anything else under /api/v1/ is a 404 in the envelope (even with DEBUG on).
    re_path(r"^.*$", api_not_found, name="api-not-found"),
]

urlpatterns = [
    path("favicon.ico", favicon),
    path("health", health, name="health"),
    path("health/", health),
    path("admin/", include("apps.accounts.admin_urls")),
    path("admin/", include("apps.documents.admin_urls")),
    path("admin/", admin.site.urls),
    # The root without its slash too (as every API path): APPEND_SLASH would redirect it, losing a write's body.
    path("api/v1", ApiRootView.as_view(), name="api-root-bare"),
    path("api/v1/", include((api_v1, "api"), namespace="v1")),
    path("api/schema/", SchemaView.as_view(), name="api-schema"),  # generated once per process
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("", include("apps.billing.sandbox")),  # the sandbox payment provider's hosted page (404 when disabled)
    path("", include("apps.campaigns.urls")),  # campaign tracking: pixel, clicks, unsubscribe, ESP webhooks
    path("", include("apps.messaging.urls")),  # the Web Push service worker at the site root
    path("", include("apps.portal.urls")),
]

handler400 = "apps.core.views.bad_request"
handler403 = "apps.core.views.permission_denied"
handler404 = "apps.core.views.page_not_found"
handler500 = "apps.core.views.server_error"

if settings.BENCH_FLOOR:
    urlpatterns.insert(0, path("bench/", include("apps.bench.urls")))

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
