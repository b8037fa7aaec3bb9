"""Generated: every tool × every role. The assistant reads and does exactly what the role can through the API, no
more: a tool is offered to a role exactly when the API endpoint it mirrors admits that role (checked against
tests/permission_matrix.py, independently of the tools' own wiring, and against a real API call), on the channels
that role can reach; and a tool naming a record reaches the caller's own record and is denied on someone else's,
as the API answers 200 and 404."""

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.accounts.roles import Role
from apps.assistant import engine, tools
from apps.assistant.guardrails import Masker
from apps.assistant.models import ToolCallRecord
from apps.assistant.providers.base import ToolCall
from tests.conftest import client_for
from tests.factories.assistant import ConversationFactory
from tests.factories.claims import ClaimFactory
from tests.factories.crm import ClientLeadFactory, RecruitLeadFactory
from tests.factories.customers import CustomerFactory
from tests.factories.policies import PolicyFactory
from tests.permission_matrix import ENDPOINTS, PUBLIC

pytestmark = pytest.mark.django_db

CHANNEL_ROLES = {
    "copilot": set(ENDPOINTS["v1:copilot-chat"]["POST"]),
    "customer": set(ENDPOINTS["v1:assistant-chat"]["POST"]),
}
CASES = [(name, role) for name in tools.TOOLS for role in Role.values]


def _api_url(name: str, pk=None) -> str:
    return reverse(name, kwargs={"pk": pk} if pk is not None else None)


@pytest.mark.parametrize(("tool_name", "role"), CASES, ids=[f"{t}-{r}" for t, r in CASES])
def test_tool_is_offered_exactly_when_the_api_admits_the_role(tool_name, role, make_user):
    tool = tools.TOOLS[tool_name]
    user = make_user(role)
    url_name, method = tool.api
    lead = ClientLeadFactory(assigned_agent=user if role in (Role.AGENT, Role.MANAGER) else None)
    response = client_for(user).generic(
        method,
        _api_url(url_name, lead.pk if "<pk>" in str(tool.api) or url_name == "v1:leads-detail" else None),
        "{}",
        content_type="application/json",
    )
    api_admits = response.status_code not in (401, 403)
    allowed = ENDPOINTS[url_name][method]
    in_matrix = allowed == PUBLIC or role in allowed
    reachable = any(role in CHANNEL_ROLES[channel] for channel in tool.channels)

    offered = [
        t.name for channel in tool.channels if role in CHANNEL_ROLES[channel] for t in tools.tools_for(user, channel)
    ]

    assert api_admits == in_matrix, f"{method} {url_name} for {role}: {response.status_code}"
    assert (tool_name in offered) == (in_matrix and reachable)
    # through the engine: a tool not offered is refused and recorded, never run
    channel = next((c for c in tool.channels if role in CHANNEL_ROLES[c]), tool.channels[0])
    conversation = ConversationFactory(user=user, channel=channel)
    result = engine._run_tool(
        ToolCall(name=tool_name, arguments={}),
        user=user,
        channel=channel,
        offered=tools.tools_for(user, channel) if role in CHANNEL_ROLES[channel] else [],
        conversation=conversation,
        masker=Masker(),
    )
    record = ToolCallRecord.objects.get(user=user)
    if tool_name in offered:
        assert record.outcome in ("invalid", "executed", "proposed", "denied", "failed")
        assert record.outcome != "denied" or "not available" not in result.get("error", "")
    else:
        assert record.outcome == "denied" and "not available" in result["error"]  # noqa: PT018


def _world(user):
    """Records of the caller's and of someone else's, for the tools that name one."""
    other_agent = CustomerFactory().agent or None
    mine = {}
    theirs = {}
    if user.role == Role.CUSTOMER:
        own_customer = CustomerFactory(user=user)
        mine["policy"] = PolicyFactory(customer=own_customer)
        mine["claim"] = ClaimFactory(
            policy=mine["policy"], incident_date=mine["policy"].start_date, reported_date=mine["policy"].start_date
        )
    else:
        mine["policy"] = PolicyFactory(agent=user, customer=CustomerFactory(agent=user))
        mine["claim"] = ClaimFactory(
            policy=mine["policy"],
            handler=user,
            incident_date=mine["policy"].start_date,
            reported_date=mine["policy"].start_date,
        )
    mine["client_lead"] = ClientLeadFactory(assigned_agent=user if user.role in (Role.AGENT, Role.MANAGER) else None)
    mine["recruit_lead"] = RecruitLeadFactory(assigned_agent=user if user.role in (Role.AGENT, Role.MANAGER) else None)
    theirs["policy"] = PolicyFactory(customer=CustomerFactory(agent=other_agent))
    theirs["claim"] = ClaimFactory(
        policy=theirs["policy"], incident_date=theirs["policy"].start_date, reported_date=theirs["policy"].start_date
    )
    theirs["client_lead"] = ClientLeadFactory(assigned_agent=None, team=None)
    theirs["recruit_lead"] = RecruitLeadFactory(assigned_agent=None, team=None)
    return mine, theirs


# tool -> (arguments naming a record, the API URL reading the same record)
SCOPED = {
    "updateClientLead": (
        lambda w: {"leadId": w["client_lead"].pk, "status": "Contacted"},
        lambda w: _api_url("v1:leads-detail", w["client_lead"].pk),
    ),
    "updateRecruitLead": (
        lambda w: {"leadId": w["recruit_lead"].pk, "status": "Contacted"},
        lambda w: _api_url("v1:leads-detail", w["recruit_lead"].pk),
    ),
    "policySummary": (
        lambda w: {"policyNumber": w["policy"].policy_number},
        lambda w: _api_url("v1:policies-detail", w["policy"].pk),
    ),
    "claimStatus": (
        lambda w: {"claimNumber": w["claim"].claim_number},
        lambda w: _api_url("v1:claims-detail", w["claim"].pk),
    ),
    "scheduleAppointment": (
        lambda w: {
            "title": "Call",
            "start": (timezone.now() + timezone.timedelta(days=1)).isoformat(),
            "leadId": w["client_lead"].pk,
        },
        lambda w: _api_url("v1:leads-detail", w["client_lead"].pk),
    ),
}
SCOPED_CASES = [(name, role) for name in SCOPED for role in Role.values]


@pytest.mark.parametrize(("tool_name", "role"), SCOPED_CASES, ids=[f"{t}-{r}" for t, r in SCOPED_CASES])
def test_a_tool_reaches_the_same_records_as_the_api(tool_name, role, make_user):
    tool = tools.TOOLS[tool_name]
    user = make_user(role)
    channel = next((c for c in tool.channels if role in CHANNEL_ROLES[c]), None)
    if channel is None or tool_name not in [t.name for t in tools.tools_for(user, channel)]:
        pytest.skip(f"{tool_name} is not offered to {role} (the test above proves that matches the API)")
    mine, theirs = _world(user)
    arguments, api = SCOPED[tool_name]
    client = client_for(user)
    conversation = ConversationFactory(user=user, channel=channel)
    offered = tools.tools_for(user, channel)

    for world in (theirs, mine):
        api_status = client.get(api(world)).status_code
        result = engine._run_tool(
            ToolCall(name=tool_name, arguments=arguments(world)),
            user=user,
            channel=channel,
            offered=offered,
            conversation=conversation,
            masker=Masker(),
        )
        outcome = ToolCallRecord.objects.filter(user=user).order_by("-id").first().outcome
        if api_status == 404:
            assert outcome == "denied", (world is mine, result)
        else:
            assert api_status == 200
            assert outcome in ("executed", "proposed"), (world is mine, result)
