"""Saved replies (macros) with variables: `{{customer_first_name}}` and the others below, filled from the ticket
and the agent. Only these names exist; a macro naming another is refused when it is saved."""

import re

from django.core.exceptions import ValidationError

VARIABLE = re.compile(r"\{\{\s*([a-z_]+)\s*\}\}")
VARIABLES = {
    "customer_first_name": "The customer's first name",
    "customer_name": "The customer's full name",
    "ticket_number": "The ticket's number",
    "subject": "The ticket's subject",
    "agent_first_name": "Your first name",
    "agent_name": "Your full name",
}


def macro_validate(body: str) -> None:
    unknown = sorted({name for name in VARIABLE.findall(body) if name not in VARIABLES})
    if unknown:
        raise ValidationError(
            {"body": [f"Unknown variables: {', '.join(unknown)}. Use: {', '.join(sorted(VARIABLES))}."]}
        )


def macro_render(body: str, *, ticket, agent) -> str:
    values = {
        "customer_first_name": ticket.customer.first_name,
        "customer_name": f"{ticket.customer.first_name} {ticket.customer.last_name}".strip(),
        "ticket_number": ticket.ticket_number,
        "subject": ticket.subject,
        "agent_first_name": agent.first_name,
        "agent_name": agent.get_full_name(),
    }
    return VARIABLE.sub(lambda m: values.get(m.group(1), m.group(0)), body)
