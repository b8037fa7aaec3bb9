"""Managed reply templates: `{{ variable }}` placeholders filled from the email, its customer and the agent.
Only the listed variables exist; a template naming another is refused when it is saved, so a reply never goes
out with a literal `{{ typo }}` in it."""

import re

from django.core.exceptions import ValidationError

from apps.accounts.models import User
from apps.messaging.models import Email, EmailTemplate

PLACEHOLDER = re.compile(r"\{\{\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}")
TEMPLATE_VARIABLES = {
    "customer_name": "The customer's full name (else the sender's name or address).",
    "customer_code": "The customer's code (CUS-…), if known.",
    "sender_email": "The address the email came from.",
    "subject": "The subject of the email being answered.",
    "agent_name": "The name of the person replying.",
    "agent_email": "The replying person's address.",
    "mailbox_name": "The name of the shared mailbox.",
    "policy_number": "The first policy the email is linked to.",
    "claim_number": "The first claim the email is linked to.",
    "case_number": "The first renewal case the email is linked to.",
}


def template_unknown_variables(text: str) -> list[str]:
    return sorted({name for name in PLACEHOLDER.findall(text or "") if name not in TEMPLATE_VARIABLES})


def email_template_validate(*, subject: str, body: str) -> None:
    errors = {}
    for field, text in (("subject", subject), ("body", body)):
        unknown = template_unknown_variables(text)
        if unknown:
            errors[field] = [f"Unknown variables: {', '.join(unknown)}. Available: {', '.join(TEMPLATE_VARIABLES)}."]
    if any(ch in (subject or "") for ch in "\r\n"):
        errors.setdefault("subject", []).append("A subject is one line.")
    if errors:
        raise ValidationError(errors)


def template_context(email: Email, actor: User) -> dict[str, str]:
    customer = email.customer
    labels = {link.kind: link.label for link in reversed(list(email.links.all()))}
    return {
        "customer_name": (customer.full_name if customer is not None else "") or email.from_name or email.from_email,
        "customer_code": customer.customer_code if customer is not None else "",
        "sender_email": email.from_email,
        "subject": email.subject,
        "agent_name": actor.get_full_name() or actor.email,
        "agent_email": actor.email,
        "mailbox_name": email.account.name,
        "policy_number": labels.get("policy", ""),
        "claim_number": labels.get("claim", ""),
        "case_number": labels.get("case", ""),
    }


def template_render(text: str, context: dict[str, str]) -> str:
    return PLACEHOLDER.sub(lambda m: context.get(m.group(1), m.group(0)), text or "")


def template_apply(*, template: EmailTemplate, email: Email, actor: User) -> tuple[str, str]:
    """(subject, body) of the template for this email; subject '' when the template has none."""
    context = template_context(email, actor)
    return template_render(template.subject, context), template_render(template.body, context)
