"""Walks every URL pattern under /api/ × every role and checks it against tests/permission_matrix.py.

Anonymous → 401 (unless public), a role without access → 403, an allowed role → neither; a refused
request writes nothing (no new row in the audit trail, which records every data change).
"""

import pghistory.models
import pytest
from django.core.files.base import ContentFile
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from apps.accounts.roles import Role
from apps.claims.models import Assessment, Claim
from apps.customers.models import Customer, Interaction
from apps.documents.models import Document
from apps.renewals.models import RenewalCase
from tests.conftest import client_for
from tests.factories.policies import PolicyFactory, ProductFactory
from tests.permission_matrix import ENDPOINTS, NOT_ENDPOINTS, PUBLIC

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


@pytest.fixture
def path_objects(make_user) -> dict:
    """Real objects for path parameters, so a wrongly admitted write would show in the audit trail."""
    target = make_user(Role.AGENT, email="target@example.org")
    customer = Customer.objects.create(customer_code="CUS-MATRIX", first_name="Mat", last_name="Rix", agent=target)
    interaction = Interaction.objects.create(
        customer=customer, type="note", summary="x", occurred_at=timezone.now(), author=target
    )
    document = Document(
        customer=customer,
        entity_id=customer.pk,
        original_name="a.txt",
        mime_type="text/plain",
        extension=".txt",
        size=5,
        sha256="0" * 64,
        scan_status="clean",
        visibility="customer",
    )
    document.file.save("a.txt", ContentFile(b"hello"), save=False)
    document.save()
    product = ProductFactory()
    policy = PolicyFactory(customer=customer, product=product, agent=target)
    case = RenewalCase.objects.create(
        case_number="REN-MATRIX", policy=policy, renewal_period=policy.end_date, renewal_amount=policy.premium_amount
    )
    claim = Claim.objects.create(
        claim_number="CLM-MATRIX",
        policy=policy,
        customer=customer,
        claim_type="fire",
        coverage_code="cover",
        coverage_limit=1000,
        claimed_amount=100,
        currency="EUR",
        description="x",
        incident_date=policy.start_date,
        incident_place="Lisbon",
        reported_date=policy.start_date,
        handler=target,
    )
    assessment = Assessment.objects.create(claim=claim)
    return {
        "user": target,
        "claim": claim,
        "assessment": assessment,
        "customer": customer,
        "interaction": interaction,
        "document": document,
        "product": product,
        "policy": policy,
        "case": case,
    }


CASES = [(name, method, allowed) for name, methods in ENDPOINTS.items() for method, allowed in methods.items()]


def _url(name: str, objects: dict) -> str:
    """Fill path parameters with real objects, so a wrongly admitted write would show in the audit trail."""
    pattern = next(route for n, route, _ in api_endpoints() if n == name)
    kwargs = {}
    short = name.split(":")[-1]
    if "(?P<pk>" in pattern:
        if short.startswith(("customers", "contacts")):
            kwargs["pk"] = objects["customer"].pk
        elif short.startswith(("documents", "files")):
            kwargs["pk"] = objects["document"].pk
        elif short.startswith("policies"):
            kwargs["pk"] = objects["policy"].pk
        elif short.startswith(("claims", "fraud")):
            kwargs["pk"] = objects["claim"].pk
        elif short.startswith("notifications"):
            kwargs["pk"] = 1
        elif short.startswith("assessments"):
            kwargs["pk"] = objects["assessment"].pk
        elif short.startswith("cases"):
            kwargs["pk"] = objects["case"].pk
        elif short.startswith("upload"):
            kwargs["pk"] = 1
        else:
            kwargs["pk"] = objects["user"].pk
    if "(?P<interaction_id>" in pattern:
        kwargs["interaction_id"] = objects["interaction"].pk
    if "(?P<document_id>" in pattern:
        kwargs["document_id"] = objects["document"].pk
    if "(?P<policy_id>" in pattern:
        kwargs["policy_id"] = objects["policy"].pk
    if "(?P<payment_id>" in pattern:
        kwargs["payment_id"] = 1
    if "(?P<estimate_id>" in pattern:
        kwargs["estimate_id"] = 1
    if "(?P<code>" in pattern:
        kwargs["code"] = objects["product"].code
    if "(?P<provider>" in pattern:
        kwargs["provider"] = "sandbox"
    return reverse(name, kwargs=kwargs)


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "method", "allowed"), CASES, ids=[f"{m} {n}" for n, m, _ in CASES])
def test_endpoint_access_by_role(name, method, allowed, make_user, path_objects):
    url = _url(name, path_objects)
    for role in [None, *Role.values]:
        user = make_user(role) if role else None
        client = client_for(user)
        before = pghistory.models.Events.objects.count()
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
        assert body["error"]["code"] in ("not_authenticated", "permission_denied")
        assert pghistory.models.Events.objects.count() == before, f"refused {method} {name} changed data"


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
