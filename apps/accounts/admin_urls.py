from django.urls import path

from apps.documents import admin_views as document_admin_views

from . import admin_views

# Extra back-office pages (mounted under /admin/ before the admin site's own URLs).
urlpatterns = [
    path("mfa/setup/", admin_views.mfa_setup, name="admin-mfa-setup"),
    path("documents/<int:pk>/download/", document_admin_views.document_download, name="admin-document-download"),
]
