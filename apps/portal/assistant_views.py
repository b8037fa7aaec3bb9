"""The customer's chat with the assistant (apps.assistant): the page; the turns go to `POST /api/v1/assistant/chat`
and confirmations to `POST /api/v1/ai/actions/confirm`, with the session and its CSRF token."""

from django.shortcuts import render

from .customer_views import customer_required


@customer_required
def assistant_chat(request):
    return render(request, "portal/assistant.html", {})
