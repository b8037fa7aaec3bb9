"""Demo messaging for `manage.py seed_demo` (idempotent): WhatsApp templates (one approved, one in review), a DNC
entry, and conversations in the sandbox — the portal demo customer asking about their renewal by SMS with the
agent's answer, and an unknown number writing on WhatsApp (the shared queue); then the email inbox's demo
(`demo_email.py`)."""

from apps.accounts.models import User
from apps.customers.models import Customer

from . import demo_email
from .models import DncEntry, Message, OutboundRefusal, WhatsAppTemplate
from .services.consent import dnc_entry_create, outbound_check
from .services.messages import message_send
from .services.webhooks import sandbox_inject

TEMPLATES = [
    ("service_notice", "utility", "approved", "InsureOps: {{1}}. Reply here or see your portal for details."),
    ("renewal_offer", "marketing", "pending", "Hi {{1}}, your renewal offer is ready: {{2}}"),
]
DNC_NUMBER = "+351910000009"


def seed(*, stdout, options=None) -> None:
    admin = User.objects.filter(email="admin@example.com").first()
    for name, category, status, body in TEMPLATES:
        WhatsAppTemplate.objects.get_or_create(
            name=name,
            language="en",
            defaults={"category": category, "status": status, "template_data": {"body": body}, "created_by": admin},
        )
    if not DncEntry.objects.filter(address=DNC_NUMBER).exists():
        dnc_entry_create(address=DNC_NUMBER, actor=admin, reason="Demo: asked never to be contacted again")
    if not OutboundRefusal.objects.filter(address=DNC_NUMBER, source="demo").exists():
        outbound_check(channel="sms", address=DNC_NUMBER, purpose="marketing", source="demo")
    customer = Customer.objects.filter(user__email="customer@example.com").first()
    if customer is not None and customer.phone:
        sandbox_inject(
            channel="sms",
            from_address=customer.phone,
            body="Hi, when does my home policy renew?",
            message_id="SBXDEMO1",
        )
        if not Message.objects.filter(customer=customer, direction="outbound", source="demo").exists():
            message_send(
                channel="sms",
                to=customer.phone,
                body="Hello! Your policy renews at the end of its term; we will send the offer 60 days before.",
                source="demo",
                actor=customer.agent,
                customer=customer,
            )
    sandbox_inject(
        channel="whatsapp",
        from_address="+351913000001",
        body="Hello, I would like a quote for my car.",
        message_id="SBXDEMO2",
    )
    stdout.write(f"messaging: {Message.objects.count()} message(s), {DncEntry.objects.count()} DNC entr(ies)")
    demo_email.seed(stdout=stdout, options=options)
