"""Walks every URL pattern under /api/ × every role and checks it against tests/permission_matrix.py.

Anonymous → 401 (unless public), a role without access → 403, an allowed role → neither; on an object
endpoint, a row-limited role asking for someone else's record → 404, and the same record once it is theirs is
reached. A refused request writes nothing (no new row in the audit trail, which records every data change; for
the 404 leg no row inserted, updated or deleted in any table).
"""

from functools import cache

import pghistory.core
import pghistory.models
import pytest
from django.db import connection, transaction
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from apps.accounts.models import Team, User
from apps.accounts.roles import Role
from apps.claims.models import Assessment, Claim
from apps.crm.models import Appointment, Lead, LeadImport, Opportunity, Task
from apps.customers.models import Customer
from apps.documents.models import Document
from apps.messaging.models import Email, PushSubscription
from apps.notifications.models import Notification
from apps.policies.models import Policy
from apps.renewals.models import RenewalCase
from tests.conftest import client_for
from tests.factories.accounts import TeamFactory, UserFactory
from tests.factories.campaign import CampaignRecipientFactory
from tests.factories.claims import AssessmentFactory, ClaimFactory, ClaimPaymentFactory, EstimateFactory
from tests.factories.crm import (
    AppointmentFactory,
    ClientLeadFactory,
    LeadImportFactory,
    LeadMergeFactory,
    OpportunityFactory,
    RecruitLeadFactory,
    TaskFactory,
)
from tests.factories.customers import CustomerFactory, InteractionFactory
from tests.factories.documents import DocumentFactory
from tests.factories.messaging import DncEntryFactory, EmailFactory, PushSubscriptionFactory
from tests.factories.notifications import NotificationFactory
from tests.factories.policies import PolicyFactory, ProductFactory, QuoteFactory
from tests.factories.renewals import RenewalCaseFactory, UploadBatchFactory
from tests.factories.support import FaqFactory, KnowledgeResourceFactory, TicketFactory, TrainingModuleFactory
from tests.factories.surveys import SurveyFactory
from tests.permission_matrix import (
    ENDPOINTS,
    NOT_ENDPOINTS,
    NOT_OBJECT_ENDPOINTS,
    OBJECT_SCOPED,
    PUBLIC,
    ROW_LIMITED,
)

HTTP_METHODS = ("get", "post", "put", "patch", "delete")


def _walk(patterns, prefix="", namespace=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern), ns)
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), f"{namespace}{entry.name}" if entry.name else None, entry.callback


def api_endpoints():
    """(url name, methods) for every pattern whose route starts with api/."""
    found = []
    for route, name, callback in _walk(get_resolver().url_patterns):
        if not route.lstrip("^").startswith("api/"):
            continue
        view_class = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
        allowed = getattr(view_class, "http_method_names", HTTP_METHODS)
        methods = sorted(
            m.upper() for m in HTTP_METHODS if view_class is not None and hasattr(view_class, m) and m in allowed
        )
        found.append((name, route, methods))
    return found


def test_every_api_endpoint_is_classified():
    unclassified = []
    for name, route, methods in api_endpoints():
        if name in NOT_ENDPOINTS:
            continue
        if name is None:
            unclassified.append(f"{route} (unnamed)")
            continue
        for method in methods:
            if method not in ENDPOINTS.get(name, {}):
                unclassified.append(f"{method} {name} ({route})")
    assert unclassified == [], "Endpoints missing from tests/permission_matrix.py:\n" + "\n".join(unclassified)


def test_matrix_names_only_existing_endpoints():
    existing = {(name, m) for name, _, methods in api_endpoints() for m in methods}
    stale = [f"{m} {name}" for name, methods in ENDPOINTS.items() for m in methods if (name, m) not in existing]
    assert stale == []


@pytest.fixture(scope="module")
def _module_path_objects(django_db_setup, django_db_blocker):
    """The path objects, built once per module (and xdist worker) in a transaction that is rolled back when the
    module is done, as Django's TestCase.setUpTestData does: each test runs in a savepoint inside it, so what a test
    writes (hand_over, a wrongly admitted request) is still undone before the next one."""
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            objects = _build_path_objects(lambda role, **kwargs: UserFactory(role=role, **kwargs))
        except BaseException:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
            raise
    yield objects
    with django_db_blocker.unblock():
        transaction.set_rollback(True)
        atomic.__exit__(None, None, None)


@pytest.fixture
def path_objects(_module_path_objects, db) -> dict:
    return dict(_module_path_objects)


def _build_path_objects(make_user) -> dict:
    """Real objects for path parameters, none of them the caller's: the customer, its policy and case belong to
    another agent, the customer record to another customer's login, the claim to another assessor, the
    notification to someone else. A wrongly admitted write would show in the database."""
    target = make_user(Role.AGENT, email="target@example.org")
    account = make_user(Role.CUSTOMER, email="someone-else@example.org")
    assessor = make_user(Role.ASSESSOR, email="other-assessor@example.org")
    customer = CustomerFactory(
        customer_code="CUS-MATRIX", first_name="Mat", last_name="Rix", agent=target, user=account
    )
    interaction = InteractionFactory(customer=customer, type="note", summary="x", author=target)
    product = ProductFactory()
    policy = PolicyFactory(customer=customer, product=product, agent=target)
    case = RenewalCaseFactory(case_number="REN-MATRIX", policy=policy)
    claim = ClaimFactory(
        claim_number="CLM-MATRIX",
        policy=policy,
        claim_type="fire",
        coverage_limit=1000,
        claimed_amount=100,
        incident_date=policy.start_date,
        reported_date=policy.start_date,
        handler=target,
        assessor=assessor,
    )
    document = DocumentFactory(customer=customer, entity_type="claim", entity_id=claim.pk, original_name="a.txt")
    assessment = AssessmentFactory(claim=claim, assessor=assessor)
    return {
        "user": target,
        "account": account,
        "claim": claim,
        "assessment": assessment,
        "estimate": EstimateFactory(assessment=assessment),
        "claim_payment": ClaimPaymentFactory(claim=claim, requested_by=target),
        "customer": customer,
        "interaction": interaction,
        "document": document,
        "product": product,
        "policy": policy,
        "case": case,
        "notification": NotificationFactory(user=account),
        "batch": UploadBatchFactory(),
        "dnc": DncEntryFactory(address="+351930000001", customer=customer),
        "push": PushSubscriptionFactory(user=account),
        "client_lead": ClientLeadFactory(assigned_agent=target),
        "lead_merge": LeadMergeFactory(lead__assigned_agent=target, into_lead__assigned_agent=target),
        "lead_import": LeadImportFactory(actor=target),
        "recruit_lead": RecruitLeadFactory(assigned_agent=target),
        "opportunity": OpportunityFactory(customer=customer, agent=target),
        "task": TaskFactory(assignee=target),
        "appointment": AppointmentFactory(agent=target),
        "team": TeamFactory(manager=make_user(Role.MANAGER, email="other-manager@example.org")),
        "email": EmailFactory(assigned_to=target),
        "ticket": TicketFactory(customer=customer, assignee=target),
        "faq": FaqFactory(),
        "knowledge": KnowledgeResourceFactory(audience="public"),
        "training": TrainingModuleFactory(),
        # a campaign that went to the customer (sent: nothing about it may change, a delete is a 409)
        "campaign": CampaignRecipientFactory(customer=customer, campaign__status="completed").campaign,
        "survey": SurveyFactory(),
        "quote": QuoteFactory(product=product),
    }


CASES = [(name, method, allowed) for name, methods in ENDPOINTS.items() for method, allowed in methods.items()]


def _url(name: str, objects: dict) -> str:
    """Fill path parameters with real objects, so a wrongly admitted write would show in the audit trail."""
    pattern = next(route for n, route, _ in api_endpoints() if n == name)
    kwargs = {}
    short = name.split(":")[-1]
    if "(?P<pk>" in pattern:
        if short.startswith(("customers", "contacts", "messages")):
            kwargs["pk"] = objects["customer"].pk
        elif short.startswith(("documents", "files")):
            kwargs["pk"] = objects["document"].pk
        elif short.startswith("policies"):
            kwargs["pk"] = objects["policy"].pk
        elif short.startswith(("claims", "fraud")):
            kwargs["pk"] = objects["claim"].pk
        elif short.startswith("notifications"):
            kwargs["pk"] = objects["notification"].pk
        elif short.startswith("assessments"):
            kwargs["pk"] = objects["assessment"].pk
        elif short.startswith("cases"):
            kwargs["pk"] = objects["case"].pk
        elif short.startswith("upload"):
            kwargs["pk"] = objects["batch"].pk
        elif short.startswith("dnc"):
            kwargs["pk"] = objects["dnc"].pk
        elif short.startswith("push"):
            kwargs["pk"] = objects["push"].pk
        elif short.startswith("recruit-leads"):
            kwargs["pk"] = objects["recruit_lead"].pk
        elif short.startswith("leads-import"):
            kwargs["pk"] = objects["lead_import"].pk
        elif short.startswith("leads-merge-undo"):
            kwargs["pk"] = objects["lead_merge"].pk
        elif short.startswith(("client-leads", "leads")):
            kwargs["pk"] = objects["client_lead"].pk
        elif short.startswith("opportunities"):
            kwargs["pk"] = objects["opportunity"].pk
        elif short.startswith("tasks"):
            kwargs["pk"] = objects["task"].pk
        elif short.startswith("appointments"):
            kwargs["pk"] = objects["appointment"].pk
        elif short.startswith("teams"):
            kwargs["pk"] = objects["team"].pk
        elif short.startswith("emails"):
            kwargs["pk"] = objects["email"].pk
        elif short.startswith("tickets"):
            kwargs["pk"] = objects["ticket"].pk
        elif short.startswith("faqs"):
            kwargs["pk"] = objects["faq"].pk
        elif short.startswith("knowledge"):
            kwargs["pk"] = objects["knowledge"].pk
        elif short.startswith("training"):
            kwargs["pk"] = objects["training"].pk
        elif short.startswith("campaigns"):
            kwargs["pk"] = objects["campaign"].pk
        elif short.startswith("surveys"):
            kwargs["pk"] = objects["survey"].pk
        elif short.startswith("quotes"):
            kwargs["pk"] = objects["quote"].reference
        else:
            kwargs["pk"] = objects["account"].pk
    if "(?P<interaction_id>" in pattern:
        kwargs["interaction_id"] = objects["interaction"].pk
    if "(?P<document_id>" in pattern:
        kwargs["document_id"] = objects["document"].pk
    if "(?P<policy_id>" in pattern:
        kwargs["policy_id"] = objects["policy"].pk
    if "(?P<payment_id>" in pattern:
        kwargs["payment_id"] = objects["claim_payment"].pk
    if "(?P<estimate_id>" in pattern:
        kwargs["estimate_id"] = objects["estimate"].pk
    if "(?P<code>" in pattern:
        kwargs["code"] = objects["product"].code
    if "(?P<provider>" in pattern:
        kwargs["provider"] = "sandbox"
    if "(?P<token>" in pattern:
        kwargs["token"] = "1.forged~signature"
    return reverse(name, kwargs=kwargs)


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "method", "allowed"), CASES, ids=[f"{m} {n}" for n, m, _ in CASES])
def test_endpoint_access_by_role(name, method, allowed, make_user, path_objects):
    url = _url(name, path_objects)
    for role in [None, *Role.values]:
        user = make_user(role) if role else None
        client = client_for(user)
        before = audit_rows_written()
        response = getattr(client, method.lower())(url, {}, format="json")
        who = role or "anonymous"
        if allowed == PUBLIC:
            assert response.status_code not in (401, 403), f"{who} refused on public {method} {name}"
            assert response.status_code < 500, f"{method} {name} failed for {who}: {response.content[:200]}"
            continue
        if role is None:
            expected = 401
        elif role in allowed:
            assert response.status_code not in (401, 403), (
                f"{who} should reach {method} {name}, got {response.status_code}: {response.content[:200]}"
            )
            continue
        else:
            expected = 403
        assert response.status_code == expected, f"{who} {method} {name}: {response.status_code} != {expected}"
        body = response.json()
        assert body["success"] is False
        assert body["error"]["code"] == ("not_authenticated" if expected == 401 else "permission_denied")
        assert audit_rows_written() == before, f"refused {method} {name} changed data"


MFA_EXEMPT = {"v1:auth-me", "v1:auth-mfa-setup", "v1:auth-mfa-verify", "v1:auth-logout"}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "method"),
    [(n, m) for n, ms in ENDPOINTS.items() for m, allowed in ms.items() if allowed != PUBLIC and n not in MFA_EXEMPT],
)
def test_every_endpoint_refuses_users_who_must_enrol_mfa_first(name, method, make_user, settings, path_objects):
    settings.MFA_REQUIRED_ROLES = list(Role.values)
    url = _url(name, path_objects)
    allowed_role = sorted(ENDPOINTS[name][method])[0]

    response = getattr(client_for(make_user(allowed_role)), method.lower())(url, {}, format="json")

    assert response.status_code == 403, f"{method} {name} let an un-enrolled {allowed_role} through"
    assert response.json()["error"]["code"] == "mfa_enrollment_required"


def object_endpoints() -> list[str]:
    """Every endpoint whose path names a record (a path parameter)."""
    return sorted({name for name, route, _ in api_endpoints() if "(?P<" in route and name not in NOT_ENDPOINTS})


def test_every_object_endpoint_is_classified():
    unclassified = [n for n in object_endpoints() if n not in OBJECT_SCOPED and n not in NOT_OBJECT_ENDPOINTS]
    assert unclassified == [], "Object endpoints missing from OBJECT_SCOPED in tests/permission_matrix.py"


def test_object_classification_names_only_object_endpoints():
    assert sorted(set(OBJECT_SCOPED) | NOT_OBJECT_ENDPOINTS) == object_endpoints()
    assert set(OBJECT_SCOPED).isdisjoint(NOT_OBJECT_ENDPOINTS)


def test_row_limited_roles_are_scoped_wherever_they_are_allowed():
    """Agents and customers see only their own rows: an object endpoint that lets them in must test the 404 leg."""
    missing = [
        f"{method} {name}: {sorted((allowed & ROW_LIMITED) - OBJECT_SCOPED[name])}"
        for name in OBJECT_SCOPED
        for method, allowed in ENDPOINTS[name].items()
        if allowed != PUBLIC and (allowed & ROW_LIMITED) - OBJECT_SCOPED[name]
    ]
    assert missing == []


def hand_over(objects: dict, user: User) -> None:
    """Make the path objects the user's own, the way their role owns records."""
    Notification.objects.filter(pk=objects["notification"].pk).update(user=user)
    PushSubscription.objects.filter(pk=objects["push"].pk).update(user=user)
    if user.role == Role.AGENT:
        Customer.objects.filter(pk=objects["customer"].pk).update(agent=user)
        Policy.objects.filter(pk=objects["policy"].pk).update(agent=user)
        Claim.objects.filter(pk=objects["claim"].pk).update(handler=user)
        RenewalCase.objects.filter(pk=objects["case"].pk).update(assigned_to=user)
        Email.objects.filter(pk=objects["email"].pk).update(assigned_to=user)
    elif user.role == Role.CUSTOMER:
        Customer.objects.filter(pk=objects["customer"].pk).update(user=user)
        Document.objects.filter(pk=objects["document"].pk).update(uploaded_by=user)  # they delete only their uploads
    elif user.role == Role.ASSESSOR:
        Claim.objects.filter(pk=objects["claim"].pk).update(assessor=user)
        Assessment.objects.filter(pk=objects["assessment"].pk).update(assessor=user)
    elif user.role == Role.MANAGER:
        User.objects.filter(pk=objects["account"].pk).update(role=Role.AGENT)  # a staff account: theirs to see
        Team.objects.filter(pk=objects["team"].pk).update(manager=user)
    if user.role in (Role.AGENT, Role.MANAGER):  # CRM records: assigned to them
        Lead.objects.filter(pk__in=[objects["client_lead"].pk, objects["recruit_lead"].pk]).update(assigned_agent=user)
        Lead.objects.filter(pk=objects["lead_merge"].lead_id).update(assigned_agent=user)
        LeadImport.objects.filter(pk=objects["lead_import"].pk).update(actor=user)
        Opportunity.objects.filter(pk=objects["opportunity"].pk).update(agent=user)
        Task.objects.filter(pk=objects["task"].pk).update(assignee=user)
        Appointment.objects.filter(pk=objects["appointment"].pk).update(agent=user)


def rows_written() -> int:
    """Rows inserted, updated or deleted in any table so far in this test's transaction."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0) FROM pg_stat_xact_user_tables")
        return cursor.fetchone()[0]


@cache
def _audit_tables() -> list[str]:
    """The audit trail's tables: every pghistory event model, the tables pghistory.models.Events is the union of."""
    return [model._meta.db_table for model in pghistory.core.event_models()]


def audit_rows_written() -> int:
    """Rows inserted, updated or deleted in the audit trail's tables so far in this test's transaction. The same
    question as "did pghistory.models.Events' count move", without counting that view (a union of ~85 tables,
    ~0.1 s a query, asked up to 16 times a test)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0) FROM pg_stat_xact_user_tables"
            " WHERE relid = ANY(%s::regclass[])",
            [_audit_tables()],
        )
        return cursor.fetchone()[0]


@pytest.mark.django_db
def test_audit_rows_written_moves_with_the_audit_trail(make_user):
    """The 401/403 legs' "wrote nothing" check can fail: an audited change moves it by the events it adds."""
    user = make_user(Role.AGENT)
    before, events_before = audit_rows_written(), pghistory.models.Events.objects.count()

    CustomerFactory(agent=user)
    User.objects.filter(pk=user.pk).update(first_name="Changed")

    added = pghistory.models.Events.objects.count() - events_before
    assert added > 0
    assert audit_rows_written() - before == added


@pytest.mark.django_db
def test_rows_written_sees_a_write_in_this_transaction(make_user):
    """The 404 leg's "wrote nothing" check can fail: one update in the test's transaction moves the count."""
    user = make_user(Role.AGENT)
    before = rows_written()

    User.objects.filter(pk=user.pk).update(first_name="Changed")

    assert rows_written() > before


OBJECT_CASES = [
    (name, method, role)
    for name, scoped in OBJECT_SCOPED.items()
    for method, allowed in ENDPOINTS[name].items()
    if allowed != PUBLIC
    for role in sorted(scoped & allowed)
]


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "method", "role"), OBJECT_CASES, ids=[f"{m} {n} {r}" for n, m, r in OBJECT_CASES])
def test_object_endpoint_hides_other_peoples_records(name, method, role, make_user, path_objects):
    user = make_user(role)
    client = client_for(user)
    url = _url(name, path_objects)
    before = rows_written()

    response = getattr(client, method.lower())(url, {}, format="json")

    assert response.status_code == 404, f"{role} {method} {name} on another's record: {response.content[:200]}"
    assert response.json()["error"]["code"] == "not_found"
    assert rows_written() == before, f"refused {method} {name} changed data"

    hand_over(path_objects, user)
    response = getattr(client, method.lower())(url, {}, format="json")

    assert response.status_code not in (401, 403, 404), (
        f"{role} {method} {name} on their own record: {response.status_code} {response.content[:200]}"
    )


NESTED_CASES = [
    (name, method)
    for name in OBJECT_SCOPED
    for method in ENDPOINTS[name]
    if next(route for n, route, _ in api_endpoints() if n == name).count("(?P<") == 2
]


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "method"), NESTED_CASES, ids=[f"{m} {n}" for n, m in NESTED_CASES])
def test_nested_record_of_another_parent_is_not_found(name, method, make_user, path_objects):
    """/customers/A/documents/<B's document> and the like: the child must belong to the parent in the path, even
    for an admin who may see both."""
    policy = PolicyFactory(customer=CustomerFactory(agent=path_objects["user"]))
    claim = ClaimFactory(policy=policy, handler=path_objects["user"])
    others = {
        "interaction": InteractionFactory(customer=policy.customer),
        "document": DocumentFactory(customer=policy.customer),
        "policy": policy,
        "claim_payment": ClaimPaymentFactory(claim=claim),
        "estimate": EstimateFactory(assessment=AssessmentFactory(claim=claim)),
    }
    client = client_for(make_user(Role.ADMIN))
    before = rows_written()

    response = getattr(client, method.lower())(_url(name, {**path_objects, **others}), {}, format="json")

    assert response.status_code == 404, f"{method} {name} reached another parent's record: {response.content[:200]}"
    assert response.json()["error"]["code"] == "not_found"
    assert rows_written() == before

    response = getattr(client, method.lower())(_url(name, path_objects), {}, format="json")

    assert response.status_code not in (401, 403, 404), f"{method} {name}: {response.content[:200]}"
