from django.urls import path

from . import admin_views

# Back-office file downloads (mounted under /admin/ before the admin site's own URLs).
urlpatterns = [
    path("documents/<int:pk>/download/", admin_views.document_download, name="admin-document-download"),
]
