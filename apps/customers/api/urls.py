from apps.core.api.urls import api_path

from . import views

urlpatterns = [
    api_path("customers", views.CustomerListCreateApi.as_view(), "customers-list"),
    api_path("customers/me", views.CustomerMeApi.as_view(), "customers-me"),
    api_path("customers/me/export", views.CustomerMeExportApi.as_view(), "customers-me-export"),
    api_path("customers/<int:pk>", views.CustomerDetailApi.as_view(), "customers-detail"),
    api_path("customers/<int:pk>/export", views.CustomerExportApi.as_view(), "customers-export"),
    api_path("customers/<int:pk>/erase", views.CustomerEraseApi.as_view(), "customers-erase"),
    api_path("customers/<int:pk>/restore", views.CustomerRestoreApi.as_view(), "customers-restore"),
    api_path("customers/<int:pk>/interactions", views.InteractionListCreateApi.as_view(), "customers-interactions"),
    api_path(
        "customers/<int:pk>/interactions/<int:interaction_id>",
        views.InteractionDetailApi.as_view(),
        "customers-interaction-detail",
    ),
    api_path("contacts", views.ContactListCreateApi.as_view(), "contacts-list"),
    api_path("contacts/<int:pk>", views.ContactDetailApi.as_view(), "contacts-detail"),
]
