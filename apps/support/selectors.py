"""Reads of the service desk scoped to the asking user: tickets (with their SLA state computed in SQL for lists),
their conversation without internal notes for customers, FAQs and knowledge resources by audience."""

import datetime as dt

from django.conf import settings
from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db.models import Case, CharField, Count, F, Prefetch, Q, QuerySet, Value, When
from django.db.models.functions import Now
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone

from apps.accounts.models import User
from apps.accounts.roles import STAFF_ROLES, Role
from apps.documents.models import Document

from . import sla
from .models import (
    Audience,
    Faq,
    FaqCategory,
    KnowledgeResource,
    Ticket,
    TicketActivity,
    TicketMessage,
    TrainingModule,
    TrainingProgress,
)

SLA_STATES = ("on_track", "at_risk", "breached", "paused", "met", "none")


def tickets_visible_to(user: User) -> QuerySet[Ticket]:
    """Admins, managers, viewers: every ticket. Agents: tickets assigned to them, in their team's queue, or of the
    customers they service. Customers: their own. Others (assessors): none."""
    qs = Ticket.objects.all()
    if user.role in (Role.ADMIN, Role.MANAGER, Role.VIEWER):
        return qs
    if user.role == Role.AGENT:
        condition = Q(assignee=user) | Q(customer__agent=user)
        if user.team_id:
            condition |= Q(team_id=user.team_id)
        return qs.filter(condition)
    if user.role == Role.CUSTOMER:
        return qs.filter(customer__user=user)
    return qs.none()


def with_sla_state(qs: QuerySet[Ticket]) -> QuerySet[Ticket]:
    """`sla_state` for each row in SQL, from the snapshot on its latest event and the database's clock: the
    deadline is a fact of the history, "now" is applied as the row is read."""
    warn = dt.timedelta(minutes=settings.SUPPORT_SLA_WARN_MINUTES)
    e = "last_event__"
    return qs.annotate(
        sla_state=Case(
            When(**{f"{e}isnull": True}, then=Value("none")),
            When(**{f"{e}sla_paused": True, f"{e}sla_remaining_seconds__lt": 0}, then=Value("breached")),
            When(**{f"{e}sla_paused": True}, then=Value("paused")),
            When(**{f"{e}sla_due_at__lte": Now()}, then=Value("breached")),
            When(**{f"{e}sla_due_at__lte": Now() + warn}, then=Value("at_risk")),
            When(**{f"{e}sla_due_at__isnull": False}, then=Value("on_track")),
            When(status__in=("resolved", "closed"), **{f"{e}sla_breached": True}, then=Value("breached")),
            When(status__in=("resolved", "closed"), then=Value("met")),
            default=Value("none"),
            output_field=CharField(),
        ),
        sla_due_at=F(f"{e}sla_due_at"),
        sla_target=F(f"{e}sla_target"),
    )


def tickets_for_list(user: User) -> QuerySet[Ticket]:
    return with_sla_state(tickets_visible_to(user).select_related("customer", "assignee", "team", "last_event"))


def ticket_get_for_user(*, user: User, pk) -> Ticket:
    return get_object_or_404(tickets_visible_to(user).select_related("customer", "assignee", "team"), pk=pk)


def ticket_messages(*, user: User, ticket: Ticket) -> QuerySet[TicketMessage]:
    """The conversation; internal notes only for staff (never for a customer, by any path)."""
    qs = ticket.messages.select_related("author").order_by("created_at", "id")
    if user.role in STAFF_ROLES:
        return qs.prefetch_related("attachments")
    shared = Document.objects.filter(visibility=Document.Visibility.CUSTOMER).exclude(
        scan_status=Document.ScanStatus.INFECTED
    )
    return qs.filter(internal=False).prefetch_related(Prefetch("attachments", queryset=shared))


def ticket_events(*, user: User, ticket: Ticket) -> QuerySet[TicketActivity]:
    qs = ticket.activities.select_related("actor").order_by("occurred_at", "id")
    return qs if user.role in STAFF_ROLES else qs.filter(internal=False)


def ticket_sla(ticket: Ticket, *, at: dt.datetime | None = None) -> sla.SlaState:
    """The full SLA state of one ticket, replayed from its history now."""
    at = at or timezone.now()
    events = TicketActivity.objects.filter(ticket=ticket).order_by("occurred_at", "id")
    return sla.sla_state(events, at=at, warn=dt.timedelta(minutes=settings.SUPPORT_SLA_WARN_MINUTES))


def ticket_document_owner(user: User, pk):
    """documents.owners resolver for entity_type "ticket": (the ticket's customer, ticket id) if the user sees it."""
    ticket = get_object_or_404(tickets_visible_to(user).select_related("customer"), pk=pk)
    return ticket.customer, ticket.pk


def tickets_of_customer(*, user: User) -> QuerySet[Ticket]:
    return tickets_visible_to(user).filter(merged_into__isnull=True).order_by("-last_message_at", "-id")


# --- help centre ---------------------------------------------------------------------------------------------


def faqs_with_votes(qs: QuerySet[Faq]) -> QuerySet[Faq]:
    """The 'was this helpful' tally of each FAQ."""
    return qs.annotate(
        helpful_yes=Count("votes", filter=Q(votes__helpful=True)),
        helpful_no=Count("votes", filter=Q(votes__helpful=False)),
    )


def faqs_published() -> QuerySet[Faq]:
    return faqs_with_votes(Faq.objects.filter(is_published=True).select_related("category"))


def faq_query(term: str) -> SearchQuery:
    """English full-text query: the words as typed (websearch syntax, stemmed), OR-ed with each word as a prefix so
    a half-typed word still finds ("insur" → insurance)."""
    words = [w for w in "".join(c if c.isalnum() else " " for c in term.lower()).split() if w][:8]
    query = SearchQuery(term, search_type="websearch", config="english")
    if words:
        query |= SearchQuery(" & ".join(f"{w}:*" for w in words), search_type="raw", config="english")
    return query


def faqs_search(term: str) -> QuerySet[Faq]:
    """Published FAQs matching `term`, most relevant first (questions weigh more than answers)."""
    query = faq_query(term)
    return (
        faqs_published()
        .filter(search_vector=query)
        .annotate(rank=SearchRank(F("search_vector"), query))
        .order_by("-rank", "position", "id")
    )


def faq_categories() -> QuerySet[FaqCategory]:
    return FaqCategory.objects.annotate(faq_count=Count("faqs", filter=Q(faqs__is_published=True))).order_by(
        "position", "name"
    )


def knowledge_visible_to(user) -> QuerySet[KnowledgeResource]:
    """Anonymous callers: public resources; customers: public and customers'; staff: every resource. Staff-only
    resources never reach anyone else, by any path."""
    qs = KnowledgeResource.objects.select_related("author", "document")
    if user is not None and user.is_authenticated and user.role in STAFF_ROLES:
        return qs
    qs = qs.filter(is_published=True)
    if user is not None and user.is_authenticated and user.role == Role.CUSTOMER:
        return qs.filter(audience__in=(Audience.PUBLIC, Audience.CUSTOMERS))
    return qs.filter(audience=Audience.PUBLIC)


def knowledge_get_for_user(*, user, pk) -> KnowledgeResource:
    return get_object_or_404(knowledge_visible_to(user).prefetch_related("versions"), pk=pk)


def knowledge_document_owner(user, pk):
    """documents.owners resolver for entity_type "knowledge": (no customer, resource id) if the user may read the
    resource (its audience); a staff-only resource's file is a 404 to anyone else."""
    resource = get_object_or_404(knowledge_visible_to(user), pk=pk)
    return None, resource.pk


def knowledge_file_for_user(*, user, pk) -> Document:
    """The file of a resource the user may read (its audience), else 404."""
    resource = knowledge_get_for_user(user=user, pk=pk)
    if resource.document is None:
        raise Http404("This resource has no file.")
    return resource.document


# --- training ------------------------------------------------------------------------------------------------


def training_modules_visible_to(user: User) -> QuerySet[TrainingModule]:
    """Staff: the published modules for their role (editors: every module), with their own progress; customers:
    none."""
    if user.role not in STAFF_ROLES:
        return TrainingModule.objects.none()
    qs = TrainingModule.objects.select_related("document").prefetch_related(
        Prefetch("progress", queryset=TrainingProgress.objects.filter(user=user), to_attr="mine")
    )
    if user.role in (Role.ADMIN, Role.MANAGER):
        return qs
    return qs.filter(is_published=True).filter(Q(audience_roles=[]) | Q(audience_roles__contains=[user.role]))


def training_module_get_for_user(*, user: User, pk) -> TrainingModule:
    return get_object_or_404(training_modules_visible_to(user), pk=pk)


def training_overdue(user: User) -> list[dict]:
    """Required training not completed in time: for a manager, the members of the teams they lead; for an admin,
    everyone. One row per person and module, most overdue first. Due = the later of the module's and the
    person's arrival, plus the module's due_days."""
    if user.role == Role.ADMIN:
        people = User.objects.filter(is_active=True).exclude(role=Role.CUSTOMER)
    elif user.role == Role.MANAGER:
        people = User.objects.filter(is_active=True, team__manager=user).exclude(role=Role.CUSTOMER)
    else:
        return []
    now = timezone.now()
    rows = []
    modules = list(TrainingModule.objects.filter(is_published=True).exclude(required_for_roles=[]))
    if not modules:
        return []
    done = set(
        TrainingProgress.objects.filter(
            status=TrainingProgress.Status.COMPLETED, module__in=modules, user__in=people
        ).values_list("user_id", "module_id")
    )
    for person in people.only("id", "first_name", "last_name", "role", "date_joined"):
        for module in modules:
            if person.role not in module.required_for_roles or (person.pk, module.pk) in done:
                continue
            due = max(module.created_at, person.date_joined) + dt.timedelta(days=module.due_days)
            if due < now:
                rows.append(
                    {
                        "user_id": person.pk,
                        "name": person.get_full_name(),
                        "module_id": module.pk,
                        "module": module.title,
                        "due_at": due,
                        "days_overdue": (now - due).days,
                    }
                )
    return sorted(rows, key=lambda r: r["due_at"])
