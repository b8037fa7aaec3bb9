from apps.core.api.urls import api_path

from . import views

urlpatterns = [
    api_path("products", views.ProductListApi.as_view(), "products-list"),
    api_path("products/<slug:code>", views.ProductDetailApi.as_view(), "products-detail"),
    api_path("quotes", views.QuoteApi.as_view(), "quotes"),
    api_path("quotes/<uuid:pk>", views.QuoteDetailApi.as_view(), "quotes-detail"),
    api_path("quotes/<uuid:pk>/apply", views.QuoteApplyApi.as_view(), "quotes-apply"),
]
