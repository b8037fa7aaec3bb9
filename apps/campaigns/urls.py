"""Public campaign tracking URLs (no login: each is authorised by its signed token)."""

from django.urls import path

from . import views

urlpatterns = [
    path("c/o/<str:token>.gif", views.open_pixel, name="campaigns-open"),
    path("c/k/<str:token>", views.click, name="campaigns-click"),
    path("c/u/<str:token>", views.unsubscribe, name="campaigns-unsubscribe"),
]
