"""Unified inbox (seed 004 §3.4): `GET /messages` (the caller's conversations), `GET /messages/{contact id}`
(one contact's history; leads do not exist yet — the CRM issue adds them), `POST /messages/send`."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.permissions import IsAuthenticated

from apps.accounts.api.permissions import MfaSatisfied, module_permission
from apps.core.api.views import BaseApi, BaseListApi
from apps.core.exceptions import Invalid, NotFound
from apps.customers.selectors import customer_get_for_user
from apps.messaging.models import Conversation, Message, WhatsAppTemplate
from apps.messaging.selectors.messages import (
    contact_for_messages,
    conversations_visible_to,
    customer_reachable_by,
    messages_of_contact,
)
from apps.messaging.services.addresses import customer_for_address, phone_normalise
from apps.messaging.services.messages import conversation_mark_read, message_send

from ..serializers import messages as s

PERMISSIONS = [IsAuthenticated, MfaSatisfied, module_permission("messaging")]
ERRORS = {
    400: OpenApiResponse(description="Invalid input (address, body too long, control characters, template)"),
    404: OpenApiResponse(description="No such contact, or not yours"),
    422: OpenApiResponse(description="Refused by the consent gate (error.details.reason)"),
}


class ConversationListApi(BaseListApi):
    permission_classes = PERMISSIONS
    serializer_class = s.ConversationSerializer
    model = Conversation
    list_key = "conversations"
    sort_fields = {"last_message_at": "last_message_at", "unread_count": "unread_count"}
    default_sort = ("-last_message_at", "-id")

    def visible_queryset(self, user):
        return conversations_visible_to(user)

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        params = self.parse(s.ConversationQuerySerializer, data=self.request.query_params)
        if params.get("channel"):
            queryset = queryset.filter(messages__channel=params["channel"]).distinct()
        if params.get("unread") is not None:
            queryset = queryset.filter(unread_count__gt=0) if params["unread"] else queryset.filter(unread_count=0)
        return queryset

    @extend_schema(
        tags=["messages"],
        parameters=[s.ConversationQuerySerializer],
        summary="My conversations across channels, most recent first",
    )
    def get(self, request):
        return self.list_response(request)


class ContactMessagesApi(BaseListApi):
    permission_classes = PERMISSIONS
    serializer_class = s.ChannelMessageSerializer
    model = Message
    list_key = "messages"
    sort_fields = {"created_at": "created_at"}
    default_sort = ("-created_at", "-id")

    def visible_queryset(self, user):
        customer = contact_for_messages(user=user, pk=self.kwargs["pk"])
        return messages_of_contact(customer)

    @extend_schema(
        tags=["messages"],
        summary="A contact's message history (newest first); opening it marks their messages read",
        operation_id="messages_contact_retrieve",
        responses={200: s.ChannelMessageSerializer(many=True), 404: ERRORS[404]},
    )
    def get(self, request, pk):
        response = self.list_response(request)
        conversation = Conversation.objects.filter(customer_id=pk).first()
        if conversation is not None and conversation.unread_count:
            conversation_mark_read(conversation=conversation)
        return response


class MessageSendApi(BaseApi):
    permission_classes = PERMISSIONS

    @extend_schema(
        tags=["messages"],
        request=s.MessageSendInputSerializer,
        responses={201: s.ChannelMessageSerializer, **ERRORS},
        summary="Send an SMS or WhatsApp message (body, or an approved template with variables) through the "
        "consent gate",
    )
    def post(self, request):
        data = self.parse(s.MessageSendInputSerializer)
        if data.get("contact_id"):
            customer = customer_get_for_user(user=request.user, pk=data["contact_id"])
            if not customer.phone:
                raise Invalid("The contact has no phone number.", details={"contact_id": ["No phone number."]})
            to = customer.phone
        else:
            to = phone_normalise(data["to"])
            customer = customer_for_address(data["channel"], to)
            if not customer_reachable_by(user=request.user, customer=customer):
                raise NotFound("No contact of yours has this number.")
        template = None
        if data.get("template_id"):
            template = WhatsAppTemplate.objects.filter(pk=data["template_id"]).first()
            if template is None:
                raise Invalid("Unknown template.", details={"template_id": ["No such template."]})
        message = self.call(
            message_send,
            channel=data["channel"],
            to=to,
            body=data.get("body") or "",
            template=template,
            variables=data.get("variables") or [],
            purpose=data["purpose"],
            actor=request.user,
            customer=customer,
            source="agent",
        )
        message.refresh_from_db()
        return self.created(s.ChannelMessageSerializer(message).data)
