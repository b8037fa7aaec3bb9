"""Demo assistant: the settings row (local provider, offline), knowledge the demo questions are answered from —
renewal practice for managers' `/ai/query`, a windscreen guide for the portal chat — and one rescinded answer so
`/safety/rescinded-responses` shows what a blocked answer looks like."""

from django.contrib.auth import get_user_model

from apps.support.models import KnowledgeResource

from .models import AiSettings, Channel, RescindedResponse

ARTICLES = [
    (
        "Improving renewal rates",
        "staff",
        "renewals",
        ["renewals", "retention"],
        "Contact every customer 45 and 30 days before renewal; a personal call converts best. Work the cases nobody "
        "has contacted yet first. Review the premium change before the call and explain it. Offer instalments when "
        "price is the objection. Log every attempt so the case shows who tried what.",
    ),
    (
        "Renewal communication strategies",
        "staff",
        "renewals",
        ["renewals", "communication"],
        "Send a reminder by e-mail, then SMS a week later, then call. Customers who consented to WhatsApp answer "
        "fastest. Keep messages short and name the renewal date and the premium.",
    ),
    (
        "Windscreen and glass damage",
        "public",
        "claims",
        ["motor", "glass", "claims"],
        "A chip smaller than a coin is usually repaired rather than replaced. Report glass damage from the portal's "
        "assistant or the claims page; take a photo of the damage and of the registration plate. Glass cover has "
        "its own deductible, shown on your policy.",
    ),
]


def seed(*, stdout, options=None) -> None:
    AiSettings.objects.get_or_create(pk=1, defaults={"provider": "local", "model": "local-retrieval-1"})
    author = get_user_model().objects.filter(email="agent@example.com").first()
    for title, audience, category, tags, body in ARTICLES:
        KnowledgeResource.objects.get_or_create(
            title=title,
            defaults={"audience": audience, "category": category, "tags": tags, "body": body, "author": author},
        )
    customer = get_user_model().objects.filter(email="customer@example.com").first()
    if customer is not None and not RescindedResponse.objects.exists():
        RescindedResponse.objects.create(
            user=customer,
            channel=Channel.CUSTOMER,
            rule="claim_promise",
            reason="The answer promised a claim outcome.",
            original="Don't worry, your claim will be paid in full.",
            replacement="I can't promise how a claim will be decided. Whether it is paid depends on the assessment "
            "and your policy's terms; your claims handler will confirm.",
            provider="local",
        )
    stdout.write("  assistant: local provider, 3 knowledge articles, 1 rescinded answer")
