"""The assistant's tools, governed: each one is a call to an existing service or selector AS THE CALLING USER.

- Who may call a tool is decided by the permission classes of the API endpoint that does the same thing (`api`:
  its URL name and method), so the assistant can never do more than the person could through the API.
- Rows come from the same selectors as the API (`leads_visible_to`, `policies_visible_to`, …): an id the user
  cannot reach is "not found", exactly as the API's 404.
- Reads run at once. Writes (`write=True`) only validate and return a proposed action (ProposedAction); the
  service runs when the person confirms it (`action_confirm`), re-checked as them at that moment.
- Arguments are checked against the tool's JSON schema first: an unknown or mistyped argument is refused.
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404
from django.urls import resolve, reverse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from apps.accounts.models import User
from apps.accounts.roles import Role
from apps.billing.selectors import instalments_open_for
from apps.catalog.models import ProductLine
from apps.claims import selectors as claim_selectors
from apps.claims import services as claim_services
from apps.claims.models import ClaimChannel
from apps.core.exceptions import Invalid
from apps.crm import selectors as crm_selectors
from apps.crm import services as crm_services
from apps.crm.models import LeadKind, LeadStatus
from apps.customers.selectors import customer_of_user, customers_visible_to
from apps.messaging.models import EmailTemplate
from apps.messaging.services.email_templates import template_render
from apps.policies.selectors import policies_visible_to
from apps.renewals.models import OPEN_STATUSES
from apps.renewals.selectors import cases_visible_to
from apps.support import services as support_services
from apps.support.models import TicketChannel

from . import retrieval


class ToolRefused(Exception):
    """The call cannot run: `outcome` says why (denied: permission or scope; invalid: bad arguments).
    `after_rollback`: what must still be written once the action's transaction has rolled back (a consent-gate
    refusal's record)."""

    def __init__(self, message: str, *, outcome: str, details: dict | None = None) -> None:
        super().__init__(message)
        self.outcome, self.details = outcome, details or {}
        self.after_rollback: Callable[[], None] | None = None


@dataclass
class Tool:
    name: str
    description: str
    properties: dict
    required: tuple[str, ...]
    api: tuple[str, str]  # (URL name, HTTP method) of the endpoint whose permission this tool shares
    run: Callable[..., dict]  # reads: (user, args) -> result; writes: (user, args) -> service result on confirm
    write: bool = False
    summarise: Callable[[User, dict], str] | None = None  # writes: the proposal's one-line summary (validates)
    channels: tuple[str, ...] = ("copilot",)
    extra: dict = field(default_factory=dict)

    @property
    def parameters(self) -> dict:
        return {
            "type": "object",
            "properties": self.properties,
            "required": list(self.required),
            "additionalProperties": False,
        }


# --- permission parity with the API --------------------------------------------------------------------------------


class _Probe:
    """The smallest request a DRF permission class reads: who, and with which method."""

    def __init__(self, user: User, method: str) -> None:
        self.user, self.method, self.auth = user, method, None
        self.query_params: dict = {}
        self.data: dict = {}


@cache
def _view_class(url_name: str):
    url = reverse(url_name, kwargs={"pk": 1} if url_name in _OBJECT_URLS else None)
    match = resolve(url)
    return match.func.cls  # type: ignore[attr-defined]


_OBJECT_URLS = {"v1:leads-detail"}


def api_allows(user: User, tool: Tool) -> bool:
    """Whether the endpoint this tool mirrors admits the user (its permission classes, MFA aside: the assistant's
    own endpoint enforced that already)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    url_name, method = tool.api
    view_class = _view_class(url_name)
    view = view_class()
    request = _Probe(user, method)
    from apps.accounts.api.permissions import MfaSatisfied

    for permission_class in view_class.permission_classes:
        permission = permission_class()
        if isinstance(permission, MfaSatisfied):
            continue
        if not permission.has_permission(request, view):
            return False
    return True


def tools_for(user: User, channel: str) -> list[Tool]:
    return [tool for tool in TOOLS.values() if channel in tool.channels and api_allows(user, tool)]


# --- argument checking ----------------------------------------------------------------------------------------------

_TYPES = {"string": str, "integer": int, "number": (int, float, str), "boolean": bool}


def check_arguments(tool: Tool, args: Any) -> dict:
    """The arguments as the schema says, or ToolRefused(invalid) naming each problem."""
    if not isinstance(args, dict):
        raise ToolRefused("Tool arguments must be an object.", outcome="invalid")
    problems = {}
    for name in args:
        if name not in tool.properties:
            problems[name] = "Unknown argument."
    for name in tool.required:
        if args.get(name) in (None, ""):
            problems[name] = "Required."
    for name, value in args.items():
        spec = tool.properties.get(name)
        if spec is None or value is None:
            continue
        expected = _TYPES.get(spec.get("type", "string"), str)
        if isinstance(value, bool) and spec.get("type") in ("integer", "number"):
            problems[name] = f"Must be a {spec['type']}."
        elif not isinstance(value, expected):
            problems[name] = f"Must be a {spec.get('type', 'string')}."
        elif isinstance(value, str) and len(value) > spec.get("maxLength", 2000):
            problems[name] = f"At most {spec.get('maxLength', 2000)} characters."
        elif "enum" in spec and value not in spec["enum"]:
            problems[name] = f"One of: {', '.join(spec['enum'])}."
    if problems:
        raise ToolRefused("The tool call's arguments are not valid.", outcome="invalid", details=problems)
    return {k: v for k, v in args.items() if v not in (None, "")}


def _when(value: str, name: str) -> dt.datetime:
    parsed = parse_datetime(value) if isinstance(value, str) else None
    if parsed is None:
        raise ToolRefused("Not a date and time.", outcome="invalid", details={name: "Use ISO 8601 (2026-03-01T10:00)."})
    return timezone.make_aware(parsed) if timezone.is_naive(parsed) else parsed


def _day(value: str, name: str) -> dt.date:
    parsed = parse_date(value) if isinstance(value, str) else None
    if parsed is None:
        raise ToolRefused("Not a date.", outcome="invalid", details={name: "Use ISO 8601 (2026-03-01)."})
    return parsed


def _money(value, name: str) -> Decimal:
    try:
        amount = Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError) as exc:
        raise ToolRefused("Not an amount.", outcome="invalid", details={name: "A number."}) from exc
    if amount < 0:
        raise ToolRefused("Not an amount.", outcome="invalid", details={name: "Not negative."})
    return amount


def _not_found(what: str) -> ToolRefused:
    return ToolRefused(f"No {what} you can see has that reference.", outcome="denied")


# --- reads ----------------------------------------------------------------------------------------------------------


def search_knowledge_hub(user: User, args: dict) -> dict:
    found = retrieval.search(user, args["query"], limit=int(args.get("limit") or 5))
    return {"results": [{"ref": s.ref, "title": s.title, "excerpt": s.text[:600], "url": s.url} for s in found]}


def _lead_row(lead) -> dict:
    return {
        "id": lead.pk,
        "kind": lead.kind,
        "name": f"{lead.first_name} {lead.last_name}".strip(),
        "email": lead.email,
        "phone": lead.phone,
        "status": lead.status,
        "score": lead.score,
        "assigned_agent": lead.assigned_agent.get_full_name() if lead.assigned_agent else "",
    }


def find_leads(user: User, args: dict) -> dict:
    qs = crm_selectors.leads_visible_to(user, kind=args.get("kind"))
    for word in str(args["query"]).split()[:4]:
        qs = qs.filter(
            Q(first_name__icontains=word)
            | Q(last_name__icontains=word)
            | Q(email__icontains=word)
            | Q(phone__icontains=word)
        )
    return {"leads": [_lead_row(lead) for lead in qs.order_by("-created_at", "-id")[:10]]}


def find_customer(user: User, args: dict) -> dict:
    qs = customers_visible_to(user)
    for word in str(args["query"]).split()[:4]:
        qs = qs.filter(
            Q(first_name__icontains=word)
            | Q(last_name__icontains=word)
            | Q(email__icontains=word)
            | Q(customer_code__iexact=word)
        )
    return {
        "customers": [
            {"id": c.pk, "code": c.customer_code, "name": c.full_name, "email": c.email, "phone": c.phone}
            for c in qs.order_by("last_name", "id")[:10]
        ]
    }


def _covers(policy) -> list[dict]:
    from apps.catalog.models import Coverage

    codes = [c["code"] for c in policy.coverage_selections]
    return [
        {"name": c.name, "limit": str(c.limit), "deductible": str(c.deductible), "perils": c.perils or []}
        for c in Coverage.objects.filter(product_id=policy.product_id, code__in=codes).order_by("name")
    ]


def _policy_row(policy) -> dict:
    return {
        "policy_number": policy.policy_number,
        "product": policy.product.name,
        "status": policy.status,
        "start_date": policy.start_date.isoformat(),
        "end_date": policy.end_date.isoformat(),
        "renewal_date": (policy.renewal_date or policy.end_date).isoformat(),
        "premium": f"{policy.premium_amount} {policy.currency}",
        "covers": _covers(policy),
    }


def policy_summary(user: User, args: dict) -> dict:
    qs = policies_visible_to(user).select_related("product")
    number = args.get("policyNumber")
    if number:
        policy = qs.filter(policy_number__iexact=number).first()
        if policy is None:
            raise _not_found("policy")
        return {"policies": [_policy_row(policy)]}
    if user.role != Role.CUSTOMER:
        raise ToolRefused("Name the policy.", outcome="invalid", details={"policyNumber": "Required."})
    return {
        "policies": [
            _policy_row(p) for p in qs.exclude(status__in=("quoted", "cancelled")).order_by("-start_date")[:10]
        ]
    }


def claim_status(user: User, args: dict) -> dict:
    qs = claim_selectors.claims_visible_to(user).select_related("policy")
    number = args.get("claimNumber")
    if number:
        qs = qs.filter(claim_number__iexact=number)
        if not qs.exists():
            raise _not_found("claim")
    elif user.role != Role.CUSTOMER:
        raise ToolRefused("Name the claim.", outcome="invalid", details={"claimNumber": "Required."})
    return {
        "claims": [
            {
                "claim_number": c.claim_number,
                "policy_number": c.policy.policy_number,
                "status": c.status,
                "status_label": c.get_status_display(),
                "incident_date": c.incident_date.isoformat(),
                "claimed_amount": str(c.claimed_amount),
            }
            for c in qs.order_by("-created_at")[:10]
        ]
    }


def renewal_cases_due(user: User, args: dict) -> dict:
    days = max(1, min(int(args.get("days") or 30), 365))
    today = timezone.localdate()
    qs = (
        cases_visible_to(user)
        .filter(status__in=OPEN_STATUSES, renewal_period__lte=today + dt.timedelta(days=days))
        .select_related("policy__customer")
        .order_by("renewal_period", "id")
    )
    return {
        "days": days,
        "cases": [
            {
                "case_number": c.case_number,
                "customer": c.policy.customer.full_name,
                "policy_number": c.policy.policy_number,
                "renewal_date": c.renewal_period.isoformat(),
                "status": c.status,
                "amount": str(c.renewal_amount),
            }
            for c in qs[:20]
        ],
    }


def payments_due(user: User, args: dict) -> dict:
    rows = instalments_open_for(user)[:12]
    return {
        "instalments": [
            {
                "policy_number": i.policy.policy_number,
                "due_date": i.due_date.isoformat(),
                "amount": f"{i.amount} {i.currency}",
                "status": i.status,
            }
            for i in rows
        ]
    }


def draft_email(user: User, args: dict) -> dict:
    """Seed 004: the draft is returned for the person to edit and send; nothing is sent. A named template of
    messaging's is filled with the variables it knows."""
    name = args.get("recipientName", "")
    context = {"customer_name": name, "agent_name": user.get_full_name() or user.email, "agent_email": user.email}
    template = None
    if args.get("template"):
        template = EmailTemplate.objects.filter(is_active=True, name__iexact=args["template"]).first()
        if template is None:
            raise ToolRefused("No active template has that name.", outcome="invalid", details={"template": "Unknown."})
    if template is not None:
        subject = template_render(template.subject, context) or args.get("subject", "")
        body = template_render(template.body, context)
    else:
        subject = args.get("subject") or "Following up"
        greeting = f"Dear {name}," if name else "Hello,"
        body = f"{greeting}\n\n{args['purpose'].strip()}\n\nKind regards,\n{context['agent_name']}"
    return {
        "draft": {"to": args.get("to", ""), "subject": subject, "body": body, "template": getattr(template, "name", "")}
    }


# --- writes (proposed, then run on confirmation) --------------------------------------------------------------------


def _message_customer(user: User, args: dict):
    customer = customers_visible_to(user).filter(pk=args["contactId"]).first()
    if customer is None:
        raise _not_found("contact")
    return customer


def send_message_run(user: User, args: dict) -> dict:
    """Send an SMS, WhatsApp message or email to one of the user's contacts, as the user, through messaging's
    consent gate (source `assistant`). A refusal (DNC, opt-out, no consent, quiet hours, the WhatsApp window) fails
    the action with its reason, and the refusal is recorded even though the action's transaction rolls back."""
    from apps.messaging.services.consent import MessageRefused, refusal_record
    from apps.messaging.services.email import email_compose
    from apps.messaging.services.messages import message_send

    customer = _message_customer(user, args)
    channel = args["channel"]
    try:
        if channel == "email":
            if not customer.email:
                raise ToolRefused("The contact has no email address.", outcome="invalid", details={"channel": "email"})
            email = email_compose(
                to=customer.email,
                subject=args.get("subject", ""),
                body=args["body"],
                customer=customer,
                actor=user,
                source="assistant",
            )
            return {"sent": {"channel": "email", "email_id": email.pk, "to": email.to_email, "status": "queued"}}
        if not customer.phone:
            raise ToolRefused("The contact has no phone number.", outcome="invalid", details={"channel": channel})
        message = message_send(
            channel=channel, to=customer.phone, body=args["body"], source="assistant", actor=user, customer=customer
        )
    except MessageRefused as exc:
        refused = ToolRefused(exc.message, outcome="failed", details=exc.details)
        refused.after_rollback = lambda e=exc: refusal_record(e.decision, source=e.source, now=e.at)
        raise refused from None
    except Invalid as exc:  # an address, a body too long for an SMS
        raise ToolRefused(exc.message, outcome="invalid", details=exc.details) from None
    return {"sent": {"channel": channel, "message_id": message.pk, "to": message.to_address, "status": "queued"}}


def send_message_summary(user: User, args: dict) -> str:
    customer = _message_customer(user, args)
    return f"Send {customer.full_name} ({customer.customer_code}) by {args['channel']}: {args['body'][:120]}"


def _product_line(value: str | None):
    if not value:
        return None
    line = ProductLine.objects.filter(Q(code__iexact=value) | Q(name__iexact=value)).first()
    if line is None:
        raise ToolRefused("Unknown product line.", outcome="invalid", details={"productInterest": "Unknown."})
    return line


def _lead_fields(args: dict, kind: str) -> dict:
    fields: dict = {}
    for arg, name in (
        ("email", "email"),
        ("phone", "phone"),
        ("city", "city"),
        ("notes", "notes"),
        ("lastName", "last_name"),
    ):
        if arg in args:
            fields[name] = args[arg]
    if kind == LeadKind.CLIENT:
        if "productInterest" in args:
            fields["product_interest"] = _product_line(args["productInterest"])
        if "estimatedValue" in args:
            fields["estimated_value"] = _money(args["estimatedValue"], "estimatedValue")
    else:
        if "licensed" in args:
            fields["licensed"] = bool(args["licensed"])
        if "yearsExperience" in args:
            fields["years_experience"] = int(args["yearsExperience"])
    return fields


def _create_lead(kind: str):
    def run(user: User, args: dict) -> dict:
        fields = _lead_fields(args, kind)
        lead, duplicates = crm_services.lead_create(actor=user, kind=kind, first_name=args["firstName"], **fields)
        return {"lead": _lead_row(lead), "possible_duplicates": len(duplicates)}

    def summarise(user: User, args: dict) -> str:
        _lead_fields(args, kind)
        who = f"{args['firstName']} {args.get('lastName', '')}".strip()
        contact = ", ".join(v for v in (args.get("email"), args.get("phone")) if v)
        return f"Create a {kind} lead for {who}" + (f" ({contact})" if contact else "")

    return run, summarise


def _lead_for(user: User, args: dict, kind: str):
    try:
        return crm_selectors.lead_get_for_user(user=user, pk=args["leadId"], kind=kind)
    except Http404:
        raise _not_found(f"{kind} lead") from None


def _update_lead(kind: str):
    def changes(args: dict) -> dict:
        fields = _lead_fields(args, kind)
        if "firstName" in args:
            fields["first_name"] = args["firstName"]
        return fields

    def run(user: User, args: dict) -> dict:
        lead = _lead_for(user, args, kind)
        lead = crm_services.lead_update(
            lead=lead, actor=user, status=args.get("status"), lost_reason=args.get("lostReason", ""), **changes(args)
        )
        return {"lead": _lead_row(lead)}

    def summarise(user: User, args: dict) -> str:
        lead = _lead_for(user, args, kind)
        crm_services.lead_visible_owner_check(user, lead)
        what = ", ".join(f"{k} → {v}" for k, v in args.items() if k != "leadId")
        return f"Update {kind} lead #{lead.pk} {lead.first_name} {lead.last_name}: {what}".strip()

    return run, summarise


def _appointment_times(args: dict) -> tuple[dt.datetime, dt.datetime]:
    start = _when(args["start"], "start")
    end = (
        _when(args["end"], "end")
        if args.get("end")
        else start + dt.timedelta(minutes=int(args.get("durationMinutes") or 30))
    )
    return start, end


def _appointment_links(user: User, args: dict) -> dict:
    links: dict = {}
    if args.get("leadId"):
        lead = crm_selectors.leads_visible_to(user).filter(pk=args["leadId"]).first()
        if lead is None:
            raise _not_found("lead")
        links["lead"] = lead
    if args.get("customerId"):
        customer = customers_visible_to(user).filter(pk=args["customerId"]).first()
        if customer is None:
            raise _not_found("customer")
        links["customer"] = customer
    return links


def schedule_appointment_run(user: User, args: dict) -> dict:
    start, end = _appointment_times(args)
    appointment, conflicts = crm_services.appointment_create(
        actor=user,
        title=args["title"],
        start=start,
        end=end,
        location=args.get("location", ""),
        **_appointment_links(user, args),
    )
    return {
        "appointment": {
            "id": appointment.pk,
            "title": appointment.title,
            "start": appointment.start.isoformat(),
            "end": appointment.end.isoformat(),
        },
        "conflicts": [{"id": c.pk, "title": c.title, "start": c.start.isoformat()} for c in conflicts],
    }


def schedule_appointment_summary(user: User, args: dict) -> str:
    start, end = _appointment_times(args)
    if end <= start:
        raise ToolRefused(
            "An appointment must end after it starts.", outcome="invalid", details={"end": "After start."}
        )
    _appointment_links(user, args)
    local = timezone.localtime(start)
    return f"Book “{args['title']}” on {local:%a %d %b %Y at %H:%M} for {int((end - start).total_seconds() // 60)} min"


def _own_policy(user: User, number: str):
    policy = policies_visible_to(user).select_related("customer").filter(policy_number__iexact=number).first()
    if policy is None:
        raise _not_found("policy")
    return policy


def file_claim_run(user: User, args: dict) -> dict:
    policy = _own_policy(user, args["policyNumber"])
    description = args["description"]
    if args.get("hasPhotos"):
        description += "\n(The customer has photos to add.)"
    claim, created = claim_services.claim_file(
        actor=user,
        policy=policy,
        claim_type=args["claimType"],
        claimed_amount=_money(args.get("estimatedAmount", 0), "estimatedAmount"),
        description=description,
        incident_date=_day(args["incidentDate"], "incidentDate"),
        incident_place=args["incidentPlace"],
        channel=ClaimChannel.PORTAL if user.role == Role.CUSTOMER else ClaimChannel.AGENT,
    )
    return {
        "claim": {"id": claim.pk, "claim_number": claim.claim_number, "status": claim.status, "created": created},
        "url": reverse("portal:claim", kwargs={"pk": claim.pk}) if user.role == Role.CUSTOMER else "",
    }


def file_claim_summary(user: User, args: dict) -> str:
    policy = _own_policy(user, args["policyNumber"])
    day = _day(args["incidentDate"], "incidentDate")
    if day > timezone.localdate():
        raise ToolRefused("The incident date is in the future.", outcome="invalid", details={"incidentDate": "Future."})
    _money(args.get("estimatedAmount", 0), "estimatedAmount")
    from apps.catalog.models import Peril

    return (
        f"Report a {Peril(args['claimType']).label.lower()} claim on policy {policy.policy_number}: "
        f"{args['description'][:120]} — on {day:%d %b %Y} at {args['incidentPlace']}"
    )


def hand_over_run(user: User, args: dict) -> dict:
    ticket = support_services.ticket_open(
        actor=user,
        customer=customer_of_user(user),
        subject=args["subject"][:200],
        description=args["summary"],
        channel=TicketChannel.PORTAL,
    )
    return {
        "ticket": {
            "id": ticket.pk,
            "number": ticket.ticket_number,
            "url": reverse("portal:request", kwargs={"pk": ticket.pk}),
        }
    }


def hand_over_summary(user: User, args: dict) -> str:
    try:
        customer_of_user(user)
    except Http404:
        raise ToolRefused("Only customers with a customer record can open a request.", outcome="denied") from None
    return f"Open a support request: {args['subject'][:120]}"


_create_client, _create_client_summary = _create_lead(LeadKind.CLIENT)
_create_recruit, _create_recruit_summary = _create_lead(LeadKind.RECRUIT)
_update_client, _update_client_summary = _update_lead(LeadKind.CLIENT)
_update_recruit, _update_recruit_summary = _update_lead(LeadKind.RECRUIT)

S = {"type": "string"}
_LEAD_COMMON = {
    "firstName": {"type": "string", "maxLength": 100},
    "lastName": {"type": "string", "maxLength": 100},
    "email": {"type": "string", "maxLength": 254},
    "phone": {"type": "string", "maxLength": 30},
    "city": {"type": "string", "maxLength": 100},
    "notes": {"type": "string", "maxLength": 2000},
}
_CLIENT = {
    "productInterest": {"type": "string", "description": "Product line code or name (auto, home…)"},
    "estimatedValue": {"type": "number"},
}
_RECRUIT = {"licensed": {"type": "boolean"}, "yearsExperience": {"type": "integer"}}
_UPDATE = {
    "leadId": {"type": "integer", "description": "The lead's id, from findLeads"},
    "status": {"type": "string", "enum": [s for s in LeadStatus.values if s != LeadStatus.CONVERTED]},
    "lostReason": {"type": "string", "maxLength": 500},
}

ALL = ("copilot", "customer")

TOOLS: dict[str, Tool] = {
    t.name: t
    for t in [
        Tool(
            "searchKnowledgeHub",
            "Search the knowledge hub and FAQ the user may read.",
            {"query": {"type": "string", "maxLength": 500}, "limit": {"type": "integer"}},
            ("query",),
            ("v1:knowledge-resources", "GET"),
            search_knowledge_hub,
            channels=ALL,
        ),
        Tool(
            "findLeads",
            "Find client or recruit leads by name, e-mail or phone (ids for the update tools).",
            {"query": {"type": "string", "maxLength": 200}, "kind": {"type": "string", "enum": list(LeadKind.values)}},
            ("query",),
            ("v1:client-leads", "GET"),
            find_leads,
        ),
        Tool(
            "findCustomer",
            "Find a customer by name, e-mail or customer code.",
            {"query": {"type": "string", "maxLength": 200}},
            ("query",),
            ("v1:customers-list", "GET"),
            find_customer,
        ),
        Tool(
            "policySummary",
            "A policy's cover, deductibles, dates and premium (customers: their own policies).",
            {"policyNumber": {"type": "string", "maxLength": 40}},
            (),
            ("v1:policies-list", "GET"),
            policy_summary,
            channels=ALL,
        ),
        Tool(
            "claimStatus",
            "A claim's status (customers: their own claims).",
            {"claimNumber": {"type": "string", "maxLength": 40}},
            (),
            ("v1:claims-list", "GET"),
            claim_status,
            channels=ALL,
        ),
        Tool(
            "renewalCasesDue",
            "Open renewal cases due within N days.",
            {"days": {"type": "integer"}},
            (),
            ("v1:cases-list", "GET"),
            renewal_cases_due,
        ),
        Tool(
            "paymentsDue",
            "The instalments still to pay on the customer's policies.",
            {},
            (),
            ("v1:payments-list", "GET"),
            payments_due,
            channels=("customer",),
        ),
        Tool(
            "draftEmail",
            "Draft an e-mail (optionally from a messaging template); returned for review, never sent.",
            {
                "to": {"type": "string", "maxLength": 254},
                "recipientName": {"type": "string", "maxLength": 200},
                "subject": {"type": "string", "maxLength": 200},
                "purpose": {"type": "string", "maxLength": 4000},
                "template": {"type": "string", "maxLength": 100},
            },
            ("purpose",),
            ("v1:messages-send", "POST"),
            draft_email,
        ),
        Tool(
            "sendMessage",
            "Send an SMS, WhatsApp message or email to one of the user's contacts, through the consent gate "
            "(proposed; runs when the user confirms).",
            {
                "contactId": {"type": "integer"},
                "channel": {"type": "string", "enum": ["sms", "whatsapp", "email"]},
                "subject": {"type": "string", "maxLength": 200},
                "body": {"type": "string", "maxLength": 4000},
            },
            ("contactId", "channel", "body"),
            ("v1:messages-send", "POST"),
            send_message_run,
            write=True,
            summarise=send_message_summary,
        ),
        Tool(
            "createClientLead",
            "Create a client lead (proposed; runs when the user confirms).",
            {**_LEAD_COMMON, **_CLIENT},
            ("firstName",),
            ("v1:client-leads", "POST"),
            _create_client,
            write=True,
            summarise=_create_client_summary,
        ),
        Tool(
            "updateClientLead",
            "Update a client lead's details or status (proposed; runs when the user confirms).",
            {**_UPDATE, **_LEAD_COMMON, **_CLIENT},
            ("leadId",),
            ("v1:leads-detail", "PUT"),
            _update_client,
            write=True,
            summarise=_update_client_summary,
        ),
        Tool(
            "createRecruitLead",
            "Create a recruit (agent candidate) lead (proposed; runs when the user confirms).",
            {**_LEAD_COMMON, **_RECRUIT},
            ("firstName",),
            ("v1:recruit-leads", "POST"),
            _create_recruit,
            write=True,
            summarise=_create_recruit_summary,
        ),
        Tool(
            "updateRecruitLead",
            "Update a recruit lead (proposed; runs when the user confirms).",
            {**_UPDATE, **_LEAD_COMMON, **_RECRUIT},
            ("leadId",),
            ("v1:leads-detail", "PUT"),
            _update_recruit,
            write=True,
            summarise=_update_recruit_summary,
        ),
        Tool(
            "scheduleAppointment",
            "Book an appointment in the user's calendar (proposed; runs when the user confirms).",
            {
                "title": {"type": "string", "maxLength": 200},
                "start": {"type": "string", "description": "ISO 8601 date and time"},
                "end": {"type": "string", "description": "ISO 8601 date and time"},
                "durationMinutes": {"type": "integer"},
                "location": {"type": "string", "maxLength": 200},
                "leadId": {"type": "integer"},
                "customerId": {"type": "integer"},
            },
            ("title", "start"),
            ("v1:appointments-list", "POST"),
            schedule_appointment_run,
            write=True,
            summarise=schedule_appointment_summary,
        ),
        Tool(
            "fileClaim",
            "Report a loss (first notice) on one of the customer's policies (proposed; filed when they confirm).",
            {
                "policyNumber": {"type": "string", "maxLength": 40},
                "claimType": {
                    "type": "string",
                    "enum": [
                        "glass",
                        "theft",
                        "collision",
                        "vandalism",
                        "fire",
                        "flood",
                        "storm",
                        "escape_of_water",
                        "breakdown",
                        "accidental_damage",
                        "hospitalisation",
                        "outpatient",
                        "dental",
                        "third_party_liability",
                    ],
                },
                "description": {"type": "string", "maxLength": 4000},
                "incidentDate": {"type": "string", "description": "ISO 8601 date"},
                "incidentPlace": {"type": "string", "maxLength": 200},
                "estimatedAmount": {"type": "number"},
                "hasPhotos": {"type": "boolean"},
            },
            ("policyNumber", "claimType", "description", "incidentDate", "incidentPlace"),
            ("v1:claims-list", "POST"),
            file_claim_run,
            write=True,
            summarise=file_claim_summary,
            channels=("customer",),
        ),
        Tool(
            "handOver",
            "Hand the conversation to a person: open a support request with a summary (proposed; opened on confirm).",
            {"subject": {"type": "string", "maxLength": 200}, "summary": {"type": "string", "maxLength": 4000}},
            ("subject", "summary"),
            ("v1:tickets-list", "POST"),
            hand_over_run,
            write=True,
            summarise=hand_over_summary,
            channels=("customer",),
        ),
    ]
}


def execute_read(tool: Tool, user: User, args: dict) -> dict:
    try:
        return tool.run(user, args)
    except ToolRefused:
        raise
    except Http404:
        raise ToolRefused("Not found.", outcome="denied") from None
    except PermissionDenied as exc:
        raise ToolRefused(str(exc) or "Not allowed.", outcome="denied") from None
    except ValidationError as exc:
        details = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        raise ToolRefused("The service refused the request.", outcome="failed", details=details) from None
