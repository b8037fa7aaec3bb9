from django.urls import path

from . import floor

urlpatterns = [
    path("floor/customers", floor.customers),
    path("floor/policies", floor.policies),
]
