"""The messaging back-office screens: scoped lists, sandbox injection, DNC entries through the service."""

import pytest
from django.test import Client

from apps.accounts.roles import Role
from apps.messaging.models import DncEntry, Message
from tests.factories.customers import CustomerFactory
from tests.factories.messaging import ConversationFactory, MessageFactory, OutboundRefusalFactory

pytestmark = pytest.mark.django_db


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_every_messaging_changelist_renders(make_user):
    client = signed_in(make_user(Role.ADMIN))
    MessageFactory()
    OutboundRefusalFactory()

    for model in ["conversation", "message", "whatsapptemplate", "consentrecord", "dncentry", "outboundrefusal"]:
        response = client.get(f"/admin/messaging/{model}/")
        assert response.status_code == 200, model


def test_agents_see_only_their_customers_conversations(make_user):
    agent = make_user(Role.AGENT)
    mine = ConversationFactory(customer=CustomerFactory(agent=agent, last_name="Mineira"))
    MessageFactory(conversation=mine, body="mine")
    theirs = ConversationFactory(customer=CustomerFactory(last_name="Alheia"))
    MessageFactory(conversation=theirs, body="theirs")
    client = signed_in(agent)

    conversations = client.get("/admin/messaging/conversation/").content.decode()
    other = client.get(f"/admin/messaging/conversation/{theirs.pk}/change/")

    assert "Mineira" in conversations
    assert "Alheia" not in conversations
    assert other.status_code == 302  # not found for them: back to the list


def test_inject_a_reply_from_the_sandbox(make_user, django_capture_on_commit_callbacks):
    client = signed_in(make_user(Role.ADMIN))
    customer = CustomerFactory(phone="+351912345678")
    sent = MessageFactory(
        conversation__customer=customer,
        direction="outbound",
        to_address="+351912345678",
        from_address="",
        status="delivered",
    )

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/admin/messaging/message/", {"action": "inject_reply", "_selected_action": [sent.pk]})

    assert response.status_code == 302
    reply = Message.objects.get(direction="inbound")
    assert (reply.customer_id, reply.from_address, reply.provider) == (customer.pk, "+351912345678", "sandbox")


def test_a_dnc_entry_added_in_the_admin_is_normalised(make_user):
    client = signed_in(make_user(Role.MANAGER))

    response = client.post("/admin/messaging/dncentry/add/", {"address": "912 000 001", "channel": "", "reason": "x"})
    bad = client.post("/admin/messaging/dncentry/add/", {"address": "not a number", "channel": "", "reason": "x"})

    assert response.status_code == 302
    assert DncEntry.objects.get().address == "+351912000001"
    assert bad.status_code == 200
    assert DncEntry.objects.count() == 1


def test_back_office_users_opt_in_to_push_from_their_own_subscriptions_page(make_user):
    from tests.factories.messaging import PushSubscriptionFactory

    manager = make_user(Role.MANAGER)
    mine = PushSubscriptionFactory(user=manager)
    theirs = PushSubscriptionFactory()

    page = signed_in(manager).get("/admin/messaging/pushsubscription/")
    everyone = signed_in(make_user(Role.ADMIN)).get("/admin/messaging/pushsubscription/")

    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-push-panel data-api="/api/v1/notifications/push-subscriptions" data-sw="/push-sw.js"' in html
    assert "js/webpush.js" in html
    assert (mine.endpoint in html, theirs.endpoint in html) == (True, False)
    assert theirs.endpoint in everyone.content.decode()


def test_template_review_is_by_hand_only_with_the_sandbox(make_user, settings):
    from tests.factories.messaging import WhatsAppTemplateFactory

    client = signed_in(make_user(Role.ADMIN))
    template = WhatsAppTemplateFactory(status="pending", approved_at=None)
    url = "/admin/messaging/whatsapptemplate/"
    settings.MESSAGING_PROVIDERS = {**settings.MESSAGING_PROVIDERS, "whatsapp": "meta"}

    client.post(url, {"action": "approve", "_selected_action": [template.pk]})
    template.refresh_from_db()
    assert template.status == "pending"  # Meta reviews it: the poll or its webhook will say

    settings.MESSAGING_PROVIDERS = {**settings.MESSAGING_PROVIDERS, "whatsapp": "sandbox"}
    client.post(url, {"action": "approve", "_selected_action": [template.pk]})
    template.refresh_from_db()
    assert template.status == "approved"
