from django.urls import path

from . import admin_views

# Extra back-office pages (mounted under /admin/ before the admin site's own URLs).
urlpatterns = [
    path("mfa/setup/", admin_views.mfa_setup, name="admin-mfa-setup"),
]
