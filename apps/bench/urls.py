from django.urls import path

from . import floor

urlpatterns = [
    path("floor/customers", floor.customers),
    path("floor/policies", floor.policies),
    path("floor/claims", floor.claims),
    path("floor/cases", floor.cases),
    path("floor/tickets", floor.tickets),
    path("floor/client-leads", floor.client_leads),
    path("floor/emails", floor.emails),
]
