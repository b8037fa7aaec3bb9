"""Unified inbox (seed 004 §3.4): `GET /messages` (the caller's conversations on every channel, email included),
`GET /messages/{id}` (one contact's history, or a lead's with `?type=lead`), `POST /messages/send`."""

from django.db.models import Exists, OuterRef
from drf_spectacular.utils import OpenApiResponse, PolymorphicProxySerializer, extend_schema
from rest_framework.permissions import IsAuthenticated

from apps.accounts.api.permissions import MfaSatisfied, module_permission
from apps.core.api.views import BaseApi, BaseListApi
from apps.core.exceptions import Invalid, NotFound
from apps.customers.selectors import customer_get_for_user
from apps.messaging.models import Channel, Conversation, EmailAccount, Message, WhatsAppTemplate
from apps.messaging.selectors.messages import (
    conversation_has_email,
    conversations_visible_to,
    customer_reachable_by,
    party_conversations,
    party_for,
    party_history,
)
from apps.messaging.services.addresses import customer_for_address, email_normalise, phone_normalise
from apps.messaging.services.email import email_compose
from apps.messaging.services.messages import conversation_mark_read, message_send

from ..serializers import messages as s

PERMISSIONS = [IsAuthenticated, MfaSatisfied, module_permission("messaging")]
ERRORS = {
    400: OpenApiResponse(
        description="Invalid input (address, body too long, control characters or a line break in a subject, "
        "template, mailbox)"
    ),
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
        if params.get("channel") == "email":
            queryset = queryset.filter(conversation_has_email())
        elif params.get("channel"):
            queryset = queryset.filter(
                Exists(Message.objects.filter(conversation=OuterRef("pk"), channel=params["channel"]))
            )
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
    """One contact's (or, with `?type=lead`, one lead's) history on every channel, newest first: SMS and WhatsApp
    messages and emails in one list (a UNION of the two tables: one query per page, one to count)."""

    permission_classes = PERMISSIONS
    serializer_class = s.HistoryItemSerializer
    model = Message
    list_key = "messages"
    filter_backends: list = []

    def visible_queryset(self, user):
        params = self.parse(s.HistoryQuerySerializer, data=self.request.query_params)
        self.party = party_for(user=user, pk=self.kwargs["pk"], kind=params["type"])
        self.conversations = list(party_conversations(self.party))
        conversation_id = self.conversations[0].pk if self.conversations else None
        order = "h_created_at" if params["sort_order"] == "asc" else "-h_created_at"
        return party_history(self.party, conversation_id=conversation_id).order_by(
            order, order.replace("created_at", "id")
        )

    @extend_schema(
        tags=["messages"],
        summary="A contact's or a lead's messages on every channel (SMS, WhatsApp, email), newest first; opening "
        "it marks them read",
        operation_id="messages_contact_retrieve",
        parameters=[s.HistoryQuerySerializer],
        responses={200: s.HistoryItemSerializer(many=True), 400: ERRORS[400], 404: ERRORS[404]},
    )
    def get(self, request, pk):
        response = self.list_response(request)
        for conversation in self.conversations:
            if conversation.unread_count:
                conversation_mark_read(conversation=conversation)
        return response


class MessageSendApi(BaseApi):
    permission_classes = PERMISSIONS

    @extend_schema(
        tags=["messages"],
        request=s.MessageSendInputSerializer,
        responses={
            201: PolymorphicProxySerializer(
                component_name="SentMessage",
                serializers={
                    "sms": s.ChannelMessageSerializer,
                    "whatsapp": s.ChannelMessageSerializer,
                    "email": s.SentEmailSerializer,
                },
                resource_type_field_name="channel",
            ),
            **ERRORS,
        },
        summary="Send an SMS, a WhatsApp message (body, or an approved template with variables) or an email (from "
        "a shared mailbox, threaded onto the contact's conversation) through the consent gate",
    )
    def post(self, request):
        data = self.parse(s.MessageSendInputSerializer)
        if data["channel"] == Channel.EMAIL:
            return self._email(request, data)
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

    def _email(self, request, data):
        if data.get("contact_id"):
            customer = customer_get_for_user(user=request.user, pk=data["contact_id"])
            if not customer.email:
                raise Invalid("The contact has no email address.", details={"contact_id": ["No email address."]})
            to = customer.email
        else:
            try:
                to = email_normalise(data["to"])
            except Invalid as exc:
                raise Invalid(exc.message, code=exc.code, details={"to": [exc.message]}) from None
            customer = customer_for_address(Channel.EMAIL, to)
            if not customer_reachable_by(user=request.user, customer=customer):
                raise NotFound("No contact of yours has this address.")
        account = None
        if data.get("account_id"):
            account = EmailAccount.objects.filter(pk=data["account_id"]).first()
            if account is None:
                raise Invalid("Unknown mailbox.", details={"account_id": ["No such mailbox."]})
        email = self.call(
            email_compose,
            to=to,
            subject=data.get("subject") or "",
            body=data["body"],
            purpose=data["purpose"],
            customer=customer,
            account=account,
            actor=request.user,
            source="agent",
        )
        return self.created(s.SentEmailSerializer(email).data)
