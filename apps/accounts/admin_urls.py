from django.urls import path

from . import admin_views

urlpatterns = [path("mfa/setup/", admin_views.mfa_setup, name="admin-mfa-setup")]
