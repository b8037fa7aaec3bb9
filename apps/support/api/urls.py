from apps.core.api.urls import api_path

from . import views

urlpatterns = [
    api_path("tickets", views.TicketListCreateApi.as_view(), "tickets-list"),
    api_path("tickets/from-email", views.TicketFromEmailApi.as_view(), "tickets-from-email"),
    api_path("tickets/<int:pk>", views.TicketDetailApi.as_view(), "tickets-detail"),
    api_path("tickets/<int:pk>/messages", views.TicketMessageCreateApi.as_view(), "tickets-messages"),
    api_path("tickets/<int:pk>/merge", views.TicketMergeApi.as_view(), "tickets-merge"),
    api_path("faqs", views.FaqListApi.as_view(), "faqs-list"),
    api_path("faqs/<int:pk>/vote", views.FaqVoteApi.as_view(), "faqs-vote"),
    api_path("knowledge-hub/resources", views.KnowledgeListCreateApi.as_view(), "knowledge-resources"),
    api_path("knowledge-hub/resources/<int:pk>", views.KnowledgeDetailApi.as_view(), "knowledge-resource-detail"),
    api_path("knowledge-hub/resources/<int:pk>/file", views.KnowledgeFileApi.as_view(), "knowledge-resource-file"),
    api_path("training/modules", views.TrainingModuleListCreateApi.as_view(), "training-modules"),
    api_path("training/modules/<int:pk>", views.TrainingModuleDetailApi.as_view(), "training-module-detail"),
    api_path("training/modules/<int:pk>/progress", views.TrainingProgressApi.as_view(), "training-module-progress"),
    api_path("training/overdue", views.TrainingOverdueApi.as_view(), "training-overdue"),
]
