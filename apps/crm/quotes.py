"""From a quote to an agent's pipeline (the catalogue's `quotes.application` hook) and back to the customer.

A customer or prospect who says "I'd like this cover" on a stored quote (`apps.catalog.services.quote_apply`)
lands here, inside the application's transaction:

- a signed-in customer (identity proven) → an **opportunity** on their record, owned by their agent;
- anyone else → a **client lead** (source "Quote"), with the likely duplicates found as for any new lead.
  Decision: we never attach an anonymous request to an existing customer's record on the strength of a typed
  email — anyone can type one. The agent sees the duplicate and converts the lead into that contact.

The right agent: the customer's own agent while active; else the assignment rule of that agent's team; for a
prospect, the team whose rule lists the quote's product line, else a team whose rule lists no line; the team's
rule then picks (least loaded or round robin). With no rule at all the lead waits unassigned for managers.
The quote is attached (`quote` on the lead or opportunity, its price lines in a note), and the agent is told.

The first time staff act on the request (a lead's status moves, an activity is logged, a deal changes stage),
the quote is "picked up": the customer sees "With an agent" and is told — in the app (and by email as their
preferences say) for a customer with an account, by email through the consent gate for a prospect.
"""

from django.db import transaction
from django.db.models import Count

from apps.accounts.models import Team, User
from apps.accounts.roles import Role
from apps.catalog.models import Quote
from apps.catalog.services import quote_pick_up
from apps.notifications.models import NotificationType
from apps.notifications.services import notify

from .models import Activity, ActivityKind, Lead, LeadAssignmentRule, LeadKind, LeadSource, Opportunity

STAFF = (Role.AGENT, Role.MANAGER, Role.ADMIN)


def quote_summary(quote: Quote) -> str:
    """The quote as a note for the agent: product, price lines, inputs, validity and the applicant's message."""
    lines = "\n".join(f"- {line['label']}: {line['amount']} {quote.currency}" for line in quote.lines)
    inputs = ", ".join(f"{name}={value}" for name, value in sorted(quote.inputs.items()))
    text = (
        f"Quote {quote.short_reference} for {quote.product.name} ({quote.product.code}): "
        f"{quote.annual_premium} {quote.currency} a year, valid until {quote.expires_at:%Y-%m-%d}.\n"
        f"{lines}\nInputs: {inputs or '—'}"
    )
    if quote.coverages:
        text += f"\nOptional covers: {', '.join(quote.coverages)}"
    if quote.applicant_message:
        text += f"\n\nTheir message: {quote.applicant_message}"
    return text


def rule_team_for_line(line_id: int | None) -> Team | None:
    """The team whose active rule names the product line (the lowest team id on a tie), else one whose rule names
    no line (a generalist desk), else None."""
    rules = LeadAssignmentRule.objects.filter(is_active=True).annotate(lines=Count("product_lines"))
    chosen = rules.filter(product_lines=line_id).order_by("team_id").first() if line_id else None
    chosen = chosen or rules.filter(lines=0).order_by("team_id").first()
    return chosen.team if chosen is not None else None


def request_owner(quote: Quote) -> tuple[User | None, Team | None]:
    """(agent, team) who should work the request (see the module docstring)."""
    from .services import lead_assignee_pick

    customer = quote.customer
    own = customer.agent if customer is not None else None
    if own is not None and own.is_active and own.role in STAFF:
        return own, own.team
    team = own.team if own is not None and own.team_id else rule_team_for_line(quote.product.line_id)
    if team is None:
        return None, None
    return lead_assignee_pick(team), team


def quote_request_to_pipeline(*, quote: Quote, actor: User | None) -> None:
    """The `quotes.application` provider: the request as an opportunity (customer) or a lead (prospect), with the
    quote attached and noted, and the owning agent notified. Runs inside `quote_apply`'s transaction."""
    from .services import lead_create, opportunity_create

    agent, team = request_owner(quote)
    line = quote.product.line
    note = quote_summary(quote)
    if quote.customer is not None:
        customer = quote.customer
        record = opportunity_create(
            actor=None,
            customer=customer,
            title=f"{quote.product.name} for {customer.first_name} {customer.last_name}".strip()[:200],
            agent=agent,
            product_line=line,
            value=quote.annual_premium,
            quote=quote,
        )
        if record.agent is None and team is not None:
            Opportunity.objects.filter(pk=record.pk).update(team=team)
        Activity.objects.create(
            kind=ActivityKind.NOTE, subject="Cover requested from a quote", body=note, opportunity=record
        )
        who, link = f"{customer.first_name} {customer.last_name}", f"/admin/crm/opportunity/{record.pk}/change/"
    else:
        record, _duplicates = lead_create(
            actor=None,
            kind=LeadKind.CLIENT,
            first_name=quote.applicant_first_name,
            last_name=quote.applicant_last_name,
            email=quote.applicant_email,
            phone=quote.applicant_phone,
            source=LeadSource.QUOTE,
            product_interest=line,
            estimated_value=quote.annual_premium,
            notes=note,
            assigned_agent=agent,
            team=team,
        )
        Lead.objects.filter(pk=record.pk).update(quote=quote)
        record.quote = quote
        who, link = record.full_name, f"/admin/crm/clientlead/{record.pk}/change/"
    owner = record.assigned_agent if isinstance(record, Lead) else record.agent
    if owner is not None:
        notify(
            user=owner,
            kind=NotificationType.ASSIGNMENT,
            event="quote:requested",
            title=f"{who} asks for {quote.product.name}"[:255],
            message=f"From quote {quote.short_reference}: {quote.annual_premium} {quote.currency} a year. "
            "Pick it up by contacting them.",
            data={"quote": str(quote.reference), "kind": "lead" if isinstance(record, Lead) else "opportunity"},
            link=link,
            dedupe_key=f"crm-quote-requested:{quote.pk}",
        )


def quote_picked_up(*, quote_id: int | None, actor: User | None) -> None:
    """Staff acted on a record that came from a quote: the first time, the quote is picked up and the customer
    told. Called by the CRM's services inside their transaction; a no-op for anything else."""
    if not quote_id or actor is None or actor.role not in STAFF:
        return
    quote = quote_pick_up(quote_id=quote_id, agent=actor)
    if quote is None:
        return
    name = actor.first_name or actor.get_full_name() or "An agent"
    customer = quote.customer
    if customer is not None and customer.user_id:
        notify(
            user=customer.user,
            kind=NotificationType.UPDATE,
            event="quote:picked_up",
            title=f"{name} is working on your request for {quote.product.name}"[:255],
            message=f"Your request from quote {quote.short_reference} is with {name}, who will contact you.",
            data={"quote": str(quote.reference)},
            link="/portal/quotes",
            dedupe_key=f"quote-picked-up:{quote.pk}",
        )
        return
    from .tasks import quote_pickup_email

    pk = quote.pk
    transaction.on_commit(lambda: quote_pickup_email.delay(pk), robust=True)


def quote_pickup_email_send(*, quote_id: int) -> str:
    """Tell a prospect (no account to notify) that an agent picked up their request, by email through the consent
    gate (channel email, purpose service). Answers "sent", "refused: <reason>" or "" (no email to write to)."""
    from django.conf import settings
    from django.core.mail import EmailMessage

    from apps.messaging.models import Purpose
    from apps.messaging.services.consent import outbound_check

    quote = Quote.objects.select_related("product", "picked_up_by", "customer").filter(pk=quote_id).first()
    if quote is None:
        return ""
    email = quote.customer.email if quote.customer_id else quote.applicant_email
    if not email:
        return ""
    # They asked us to contact them about this cover (the application): an answer to them, so no channel consent
    # is needed — the DNC list and an opt-out still refuse it.
    decision = outbound_check(
        channel="email",
        address=email,
        purpose=Purpose.SERVICE,
        source="crm.quote_picked_up",
        customer=quote.customer,
        answering=True,
    )
    if not decision:
        return f"refused: {decision.reason}"
    agent = quote.picked_up_by
    name = (agent.get_full_name() if agent else "") or "One of our agents"
    EmailMessage(
        subject=f"Your request for {quote.product.name} is with {name}",
        body=(
            f"Hello {quote.applicant_first_name or ''},\n\n"
            f"{name} is now handling your request for {quote.product.name} (quote {quote.short_reference}, "
            f"{quote.annual_premium} {quote.currency} a year) and will contact you shortly.\n\nInsureOps\n"
        ),
        to=[decision.address or email],
        reply_to=[agent.email] if agent is not None and agent.email else None,
        from_email=settings.DEFAULT_FROM_EMAIL,
    ).send()
    return "sent"
