from apps.core.api.urls import api_path

from . import views

urlpatterns = [
    api_path("customers/<int:pk>/documents", views.CustomerDocumentListCreateApi.as_view(), "customers-documents"),
    api_path(
        "customers/<int:pk>/documents/<int:document_id>",
        views.CustomerDocumentDetailApi.as_view(),
        "customers-document-detail",
    ),
    api_path(
        "customers/<int:pk>/documents/<int:document_id>/download",
        views.CustomerDocumentDownloadApi.as_view(),
        "customers-document-download",
    ),
    api_path("documents/upload", views.DocumentUploadApi.as_view(), "documents-upload"),
    api_path("documents/process", views.DocumentProcessApi.as_view(), "documents-process"),
    api_path("documents/validate", views.DocumentValidateApi.as_view(), "documents-validate"),
    api_path("documents/<int:pk>", views.DocumentDetailApi.as_view(), "documents-detail"),
    api_path("documents/<int:pk>/download", views.DocumentDownloadApi.as_view(), "documents-download"),
    api_path("files/upload", views.FileUploadApi.as_view(), "files-upload"),
    api_path("files/<int:pk>", views.FileDetailApi.as_view(), "files-detail"),
    api_path("files/<int:pk>/download", views.FileDownloadApi.as_view(), "files-download"),
]
