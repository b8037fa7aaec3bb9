"""Linked emails on the timelines of the records they are about (hook `records.timeline`, provided by messaging
to customers, policies, claims and renewals, which sit below it): the policy, claim and case API timelines and the
contact, each with the reason the email is linked, and the same on their admin pages."""

import pytest
from django.test import Client

from apps.accounts.roles import Role
from apps.messaging.services.email_ingest import emails_ingest
from tests.factories.claims import ClaimFactory
from tests.factories.customers import CustomerFactory
from tests.factories.messaging import EmailAccountFactory
from tests.factories.policies import PolicyFactory
from tests.factories.renewals import RenewalCaseFactory

from .conftest import raw

pytestmark = pytest.mark.django_db


@pytest.fixture
def linked(make_user):
    agent = make_user(Role.AGENT)
    customer = CustomerFactory(agent=agent, email="rui@customer.example")
    policy = PolicyFactory(customer=customer, agent=agent)
    claim = ClaimFactory(policy=policy, handler=agent)
    case = RenewalCaseFactory(policy=policy, assigned_to=agent)
    account = EmailAccountFactory()
    created = emails_ingest(
        account=account,
        messages=[
            (1, raw(message_id="<p@x>", sender="rui@customer.example", subject=f"About {policy.policy_number}")),
            (
                2,
                raw(message_id="<c@x>", sender="other@else.example", subject="Damage", body=f"Re {claim.claim_number}"),
            ),
            (3, raw(message_id="<r@x>", sender="other@else.example", subject=f"{case.case_number} renew please")),
        ],
    ).created
    emails = {e.message_id: e for e in created}
    return agent, customer, policy, claim, case, emails


def test_policy_claim_case_and_contact_timelines_list_their_emails_with_the_reason(linked, auth_client):
    agent, customer, policy, claim, case, emails = linked
    from tests.conftest import client_for

    client = client_for(agent)

    policy_linked = client.get(f"/api/v1/policies/{policy.pk}/timeline").json()["data"]["linked"]
    claim_linked = client.get(f"/api/v1/claims/{claim.pk}/timeline").json()["data"]["linked"]
    case_linked = client.get(f"/api/v1/cases/{case.pk}").json()["data"]["linked"]
    contact_linked = client.get(f"/api/v1/contacts/{customer.pk}").json()["data"]["linked"]

    assert [(e["id"], e["reason"]) for e in policy_linked] == [
        (emails["<p@x>"].pk, f"subject names {policy.policy_number}")
    ]
    assert [(e["id"], e["reason"], e["party"]) for e in claim_linked] == [
        (emails["<c@x>"].pk, f"body names {claim.claim_number}", "other@else.example")
    ]
    assert [(e["id"], e["reason"], e["type"]) for e in case_linked] == [
        (emails["<r@x>"].pk, f"subject names {case.case_number}", "email")
    ]
    # the contact: their own mail and the mail about their records, newest first
    assert {e["id"] for e in contact_linked} == {e.pk for e in emails.values()}
    assert next(e for e in contact_linked if e["id"] == emails["<p@x>"].pk)["reason"].startswith(
        f"sender = customer {customer.customer_code}"
    )


def test_the_claimant_and_another_agent_do_not_see_emails_they_may_not_open(linked, auth_client, make_user):
    agent, customer, policy, claim, case, emails = linked
    from apps.messaging.models import Email

    Email.objects.filter(pk=emails["<c@x>"].pk).update(assigned_to=make_user(Role.AGENT))  # another agent's mail
    manager_client, _ = auth_client(Role.MANAGER)
    from tests.conftest import client_for

    agent_sees = client_for(agent).get(f"/api/v1/claims/{claim.pk}/timeline").json()["data"]["linked"]
    manager_sees = manager_client.get(f"/api/v1/claims/{claim.pk}/timeline").json()["data"]["linked"]

    assert agent_sees == []
    assert [e["id"] for e in manager_sees] == [emails["<c@x>"].pk]


def test_admin_pages_show_the_linked_emails_and_why(linked, make_user):
    agent, customer, policy, claim, case, emails = linked
    browser = Client()
    browser.force_login(make_user(Role.ADMIN))

    pages = {
        "policy": browser.get(f"/admin/policies/policy/{policy.pk}/change/"),
        "claim": browser.get(f"/admin/claims/claim/{claim.pk}/change/"),
        "case": browser.get(f"/admin/renewals/renewalcase/{case.pk}/change/"),
        "customer": browser.get(f"/admin/customers/customer/{customer.pk}/change/"),
    }

    assert {name: page.status_code for name, page in pages.items()} == dict.fromkeys(pages, 200)
    assert f"subject names {policy.policy_number}" in pages["policy"].content.decode()
    assert f"/admin/messaging/email/{emails['<c@x>'].pk}/change/" in pages["claim"].content.decode()
    assert f"subject names {case.case_number}" in pages["case"].content.decode()
    assert "Damage" in pages["customer"].content.decode()
