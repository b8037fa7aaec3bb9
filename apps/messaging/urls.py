"""Site-level messaging URLs (outside the API): the Web Push service worker."""

from django.urls import path

from .views import push_service_worker

urlpatterns = [path("push-sw.js", push_service_worker, name="push-service-worker")]
