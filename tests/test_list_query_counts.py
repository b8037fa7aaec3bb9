"""Every list endpoint answers 50 rows with no more queries than 1 row (no N+1 in a selector or serializer).

Each row is built with its own related records (its own customer, agent, policy, author...), so a relation the
list reads without select_related/prefetch_related costs one more query per row and shows here. An unlisted
list endpoint fails the classification test, like the permission matrix does for an unclassified URL.
"""

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import get_resolver, reverse
from rest_framework.mixins import ListModelMixin

from apps.accounts.roles import Role
from apps.claims.models import FraudReview
from apps.messaging.models import Conversation
from tests.conftest import client_for
from tests.factories.accounts import BranchFactory, TeamFactory, UserFactory
from tests.factories.assistant import RescindedResponseFactory
from tests.factories.audit import SecurityEventFactory
from tests.factories.billing import (
    CommissionFactory,
    InstalmentFactory,
    PaymentFactory,
    TransactionFactory,
)
from tests.factories.campaign import CampaignFactory, CampaignVariantFactory
from tests.factories.claims import (
    AssessmentFactory,
    AssessmentPhotoFactory,
    ClaimCommunicationFactory,
    ClaimEventFactory,
    ClaimFactory,
    ClaimPaymentFactory,
    EstimateFactory,
    EstimateLineFactory,
    FraudAssessmentFactory,
)
from tests.factories.crm import (
    ActivityFactory,
    AppointmentFactory,
    ClientLeadFactory,
    OpportunityFactory,
    RecruitLeadFactory,
    TaskFactory,
)
from tests.factories.customers import CustomerFactory, InteractionFactory
from tests.factories.documents import DocumentFactory
from tests.factories.messaging import (
    ConversationFactory,
    DncEntryFactory,
    EmailFactory,
    MessageFactory,
    WhatsAppTemplateFactory,
)
from tests.factories.notifications import NotificationFactory
from tests.factories.policies import (
    CoverageFactory,
    EndorsementFactory,
    PolicyFactory,
    PolicyTransitionFactory,
    ProductFactory,
    ProductLineFactory,
    VehicleFactory,
)
from tests.factories.renewals import RenewalCaseFactory, UploadBatchFactory
from tests.factories.support import KnowledgeResourceFactory, TrainingProgressFactory
from tests.factories.surveys import (
    SurveyFactory,
    SurveyFollowUpFactory,
    SurveyInvitationFactory,
    SurveyResponseFactory,
)
from tests.test_permission_matrix import _walk


@dataclass(frozen=True)
class ListCase:
    add_row: Callable[[dict], object]  # one more row the caller sees, with its own related records
    path: Callable[[dict], str] = lambda ctx: ""  # url kwargs come from here when the list hangs off a record
    kwargs: Callable[[dict], dict] = lambda ctx: {}


def _agent():
    return UserFactory(role=Role.AGENT, team=TeamFactory())


def _claim_document(ctx):
    claim = ctx["claim"]
    return DocumentFactory(customer=claim.customer, entity_type="claim", entity_id=claim.pk, uploaded_by=_agent())


def _estimate(ctx):
    estimate = EstimateFactory(assessment=ctx["assessment"], created_by=_agent())
    EstimateLineFactory(estimate=estimate)
    return estimate


def _fraud_suspect(ctx):
    claim = ClaimFactory(handler=_agent(), fraud_review=FraudReview.PENDING, fraud_score=80)
    return FraudAssessmentFactory(claim=claim, score=80)


def _communication(ctx):
    communication = ClaimCommunicationFactory(claim=ctx["claim"], author=_agent())
    communication.attachments.add(_claim_document(ctx))
    return communication


def _survey(ctx):
    if "survey" not in ctx:
        ctx["survey"] = SurveyFactory()
    return ctx["survey"]


def _survey_response(ctx):
    """A response with its own customer, agent, team and follow-up ticket."""
    agent = _agent()
    invitation = SurveyInvitationFactory(
        survey=_survey(ctx), customer=CustomerFactory(agent=agent), agent=agent, team=agent.team, status="answered"
    )
    return SurveyFollowUpFactory(response=SurveyResponseFactory(invitation=invitation, team=agent.team, score=2))


def _policy(**kwargs):
    product = ProductFactory(line=ProductLineFactory(code="auto"))
    policy = PolicyFactory(product=product, agent=_agent(), customer=CustomerFactory(agent=_agent()), **kwargs)
    VehicleFactory(policy=policy)
    return policy


def _crm_agent_with_book(ctx):
    """An agent with one of everything their stats count (leads, deals, policies, a case, a task)."""
    agent = _agent()
    ClientLeadFactory(assigned_agent=agent, team=agent.team)
    ActivityFactory(lead=ClientLeadFactory(assigned_agent=agent), author=agent)
    OpportunityFactory(agent=agent, customer=CustomerFactory(agent=agent))
    policy = PolicyFactory(agent=agent, customer=CustomerFactory(agent=agent))
    RenewalCaseFactory(policy=policy, assigned_to=agent)
    TaskFactory(assignee=agent)
    return agent


def _opportunity(ctx):
    agent = _agent()
    return OpportunityFactory(
        agent=agent, team=agent.team, customer=CustomerFactory(agent=agent), product_line=ProductLineFactory()
    )


def _ticket(ctx):
    from apps.support.services import ticket_open

    customer = CustomerFactory(agent=_agent())
    return ticket_open(actor=ctx["caller"], customer=customer, subject="Cover", description="When does it start?")


def _campaign(ctx):
    """A campaign with two variants and its own author."""
    campaign = CampaignFactory(created_by=_agent())
    CampaignVariantFactory(campaign=campaign, code="A", weight=50)
    CampaignVariantFactory(campaign=campaign, code="B", weight=50)
    return campaign


# url name -> how to add one row to it. The caller is an admin (who sees every row), or the row's owner.
def _contact_message(ctx):
    """Alternately an SMS/WhatsApp message and an email: the contact's history is one list of both."""
    conversation, _ = Conversation.objects.get_or_create(customer=ctx["customer"])
    ctx["history_rows"] = ctx.get("history_rows", 0) + 1
    if ctx["history_rows"] % 2 == 0:
        return EmailFactory(customer=ctx["customer"], sent_by=_agent())
    return MessageFactory(
        conversation=conversation, customer=ctx["customer"], sent_by=_agent(), template=WhatsAppTemplateFactory()
    )


LIST_CASES: dict[str, ListCase] = {
    "v1:users-list": ListCase(lambda ctx: UserFactory(team=TeamFactory(), branch=BranchFactory())),
    "v1:teams-list": ListCase(lambda ctx: TeamFactory(manager=UserFactory(role=Role.MANAGER))),
    "v1:branches-list": ListCase(lambda ctx: BranchFactory()),
    "v1:audit-security-events": ListCase(lambda ctx: SecurityEventFactory(user=_agent())),
    "v1:audit-changes": ListCase(lambda ctx: BranchFactory()),  # one tracked insert = one change event
    "v1:customers-list": ListCase(lambda ctx: CustomerFactory(agent=_agent())),
    "v1:contacts-list": ListCase(lambda ctx: CustomerFactory(agent=_agent())),
    "v1:customers-interactions": ListCase(
        lambda ctx: InteractionFactory(customer=ctx["customer"], author=_agent()),
        kwargs=lambda ctx: {"pk": ctx["customer"].pk},
    ),
    "v1:customers-documents": ListCase(
        lambda ctx: DocumentFactory(customer=ctx["customer"], uploaded_by=_agent()),
        kwargs=lambda ctx: {"pk": ctx["customer"].pk},
    ),
    "v1:products-list": ListCase(lambda ctx: CoverageFactory(product=ProductFactory(line=ProductLineFactory()))),
    "v1:policies-list": ListCase(lambda ctx: _policy()),
    "v1:contacts-policies": ListCase(
        lambda ctx: PolicyFactory(customer=ctx["customer"], agent=_agent()),
        kwargs=lambda ctx: {"pk": ctx["customer"].pk},
    ),
    "v1:policies-timeline": ListCase(
        lambda ctx: PolicyTransitionFactory(policy=ctx["policy"], actor=_agent()),
        kwargs=lambda ctx: {"pk": ctx["policy"].pk},
    ),
    "v1:policies-endorsements": ListCase(
        lambda ctx: EndorsementFactory(policy=ctx["policy"], created_by=_agent()),
        kwargs=lambda ctx: {"pk": ctx["policy"].pk},
    ),
    "v1:policies-instalments": ListCase(
        lambda ctx: InstalmentFactory(policy=ctx["policy"]), kwargs=lambda ctx: {"pk": ctx["policy"].pk}
    ),
    "v1:payments-list": ListCase(lambda ctx: PaymentFactory(policy=_policy(), recorded_by=_agent())),
    "v1:transactions-list": ListCase(lambda ctx: TransactionFactory(policy=_policy())),
    "v1:transactions-export": ListCase(lambda ctx: TransactionFactory(policy=_policy())),
    "v1:commissions-list": ListCase(lambda ctx: CommissionFactory(payment=PaymentFactory(policy=_policy()))),
    "v1:claims-list": ListCase(
        lambda ctx: ClaimFactory(policy=_policy(), handler=_agent(), assessor=UserFactory(role=Role.ASSESSOR))
    ),
    "v1:fraud-queue": ListCase(_fraud_suspect),
    "v1:claims-timeline": ListCase(
        lambda ctx: ClaimEventFactory(claim=ctx["claim"], actor=_agent()), kwargs=lambda ctx: {"pk": ctx["claim"].pk}
    ),
    "v1:claims-communications": ListCase(_communication, kwargs=lambda ctx: {"pk": ctx["claim"].pk}),
    "v1:claims-payments": ListCase(
        lambda ctx: ClaimPaymentFactory(claim=ctx["claim"], requested_by=_agent(), decided_by=_agent()),
        kwargs=lambda ctx: {"pk": ctx["claim"].pk},
    ),
    "v1:claims-documents": ListCase(_claim_document, kwargs=lambda ctx: {"pk": ctx["claim"].pk}),
    "v1:assessments-list": ListCase(
        lambda ctx: AssessmentFactory(
            claim=ClaimFactory(policy=_policy(), handler=_agent()), assessor=UserFactory(role=Role.ASSESSOR)
        )
    ),
    "v1:assessments-photos": ListCase(
        lambda ctx: AssessmentPhotoFactory(assessment=ctx["assessment"]),
        kwargs=lambda ctx: {"pk": ctx["assessment"].pk},
    ),
    "v1:assessments-estimates": ListCase(_estimate, kwargs=lambda ctx: {"pk": ctx["assessment"].pk}),
    "v1:notifications-list": ListCase(lambda ctx: NotificationFactory(user=ctx["caller"])),
    "v1:cases-list": ListCase(lambda ctx: RenewalCaseFactory(policy=_policy(), assigned_to=_agent())),
    "v1:upload-batches": ListCase(lambda ctx: UploadBatchFactory(uploaded_by=UserFactory(role=Role.MANAGER))),
    "v1:messages-list": ListCase(lambda ctx: ConversationFactory(customer=CustomerFactory(agent=_agent()))),
    "v1:messages-contact": ListCase(_contact_message, kwargs=lambda ctx: {"pk": ctx["customer"].pk}),
    "v1:dnc-list": ListCase(lambda ctx: DncEntryFactory(added_by=_agent(), customer=CustomerFactory())),
    "v1:client-leads": ListCase(
        lambda ctx: ClientLeadFactory(
            assigned_agent=(agent := _agent()), team=agent.team, product_interest=ProductLineFactory()
        )
    ),
    "v1:recruit-leads": ListCase(lambda ctx: RecruitLeadFactory(assigned_agent=(agent := _agent()), team=agent.team)),
    "v1:opportunities-list": ListCase(_opportunity),
    "v1:tasks-list": ListCase(lambda ctx: TaskFactory(assignee=_agent(), created_by=_agent())),
    "v1:appointments-list": ListCase(lambda ctx: AppointmentFactory(agent=_agent())),
    "v1:agents-list": ListCase(_crm_agent_with_book),
    "v1:emails-list": ListCase(lambda ctx: EmailFactory(assigned_to=_agent())),
    "v1:tickets-list": ListCase(_ticket),
    "v1:knowledge-resources": ListCase(lambda ctx: KnowledgeResourceFactory(author=_agent())),
    "v1:training-modules": ListCase(lambda ctx: TrainingProgressFactory(user=ctx["caller"]).module),
    "v1:campaigns-list": ListCase(_campaign),
    "v1:surveys-list": ListCase(lambda ctx: SurveyFactory(created_by=_agent())),
    "v1:surveys-responses": ListCase(_survey_response, kwargs=lambda ctx: {"pk": _survey(ctx).pk}),
    "v1:safety-rescinded-responses": ListCase(lambda ctx: RescindedResponseFactory(user=_agent())),
}

# Lists whose length does not grow with the data: one entry per check kind, a batch's stored error log.
BOUNDED_LISTS = {"v1:claims-checks", "v1:upload-batch-failed-rows"}

# Endpoints answering a list of rows without the shared paginated list view.
UNPAGINATED_LISTS = {
    "v1:policies-timeline",
    "v1:policies-endorsements",
    "v1:policies-instalments",
    "v1:claims-timeline",
    "v1:assessments-photos",
    "v1:assessments-estimates",
    "v1:claims-checks",
    "v1:upload-batch-failed-rows",
}


def list_endpoints() -> set[str]:
    """Every API view built on the shared list view, plus the known unpaginated lists."""
    found = set()
    for route, name, callback in _walk(get_resolver().url_patterns):
        view_class = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
        if route.startswith("api/") and view_class is not None and issubclass(view_class, ListModelMixin):
            found.add(name)
    return found | UNPAGINATED_LISTS


def test_every_list_endpoint_has_a_query_count_case():
    assert sorted(list_endpoints() - set(LIST_CASES) - BOUNDED_LISTS) == []
    assert sorted((set(LIST_CASES) | BOUNDED_LISTS) - list_endpoints()) == []


def _rows(response) -> int:
    if response["Content-Type"].startswith("text/csv"):
        return len(list(csv.reader(io.StringIO(response.content.decode())))) - 1  # minus the header
    data = response.json()["data"]
    if isinstance(data, list):
        return len(data)
    # `linked`: the emails shown beside a record's timeline (messaging's `records.timeline` hook), not its rows
    lists = [value for key, value in data.items() if isinstance(value, list) and key != "linked"]
    assert len(lists) == 1, f"expected one list in {sorted(data)}"
    return len(lists[0])


@pytest.fixture
def ctx(make_user):
    caller = make_user(Role.ADMIN)
    customer = CustomerFactory(agent=_agent())
    policy = PolicyFactory(customer=customer, agent=customer.agent)
    claim = ClaimFactory(policy=policy, handler=customer.agent)
    return {
        "caller": caller,
        "customer": customer,
        "policy": policy,
        "claim": claim,
        "assessment": AssessmentFactory(claim=claim),
    }


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(LIST_CASES))
def test_list_queries_do_not_grow_from_1_to_50_rows(name, ctx):
    case = LIST_CASES[name]
    client = client_for(ctx["caller"])
    url = reverse(name, kwargs=case.kwargs(ctx))
    case.add_row(ctx)
    first = client.get(url, {"limit": 100})
    assert first.status_code == 200, first.content[:300]
    base = _rows(first)  # rows that were there already (the caller, the fixture's own records)

    with CaptureQueriesContext(connection) as one:
        response = client.get(url, {"limit": 100})
    assert response.status_code == 200
    for _ in range(49):
        case.add_row(ctx)
    with CaptureQueriesContext(connection) as fifty:
        response = client.get(url, {"limit": 100})

    assert response.status_code == 200
    assert _rows(response) == base + 49
    assert len(fifty) <= len(one), "\n".join(q["sql"][:200] for q in fifty.captured_queries)
