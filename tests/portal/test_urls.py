"""Every portal URL answers with and without a trailing slash, the same way, and never by redirecting to the other
form (as the API does: a redirected POST loses its body, and a link typed either way must work)."""

import pytest
from django.test import Client

from apps.portal import urls as portal_urls
from tests.factories.accounts import PASSWORD
from tests.factories.policies import QuoteFactory

pytestmark = pytest.mark.django_db

POST_ONLY = {
    "logout",
    "claim-withdraw",
    "notifications-read",
    "profile-export",
    "pay-now",
    "faq-vote",
    "request-reopen",
}


def _support_path(name, user, policy):
    """The help centre's and support requests' paths name a FAQ or the customer's own ticket."""
    from apps.support.services import ticket_open
    from tests.factories.support import FaqFactory

    if name == "faq-vote":
        return f"/help/faqs/{FaqFactory().pk}/vote"
    if name in ("request", "request-reopen"):
        ticket = ticket_open(actor=user, customer=policy.customer, subject="Cover", description="When?")
        return f"/support/requests/{ticket.pk}" + ("/reopen" if name == "request-reopen" else "")
    return None


def _survey_path(customer):
    """A survey link of the customer's (the page answers without a sign-in; an invalid link is a 404)."""
    from urllib.parse import urlparse

    from apps.campaigns.services.surveys import invitation_url
    from tests.factories.surveys import SurveyInvitationFactory

    return urlparse(invitation_url(SurveyInvitationFactory(customer=customer))).path


def _url(name, policy, claim, product, user=None):
    if name == "survey":
        return _survey_path(policy.customer)
    support = _support_path(name, user, policy)
    if support:
        return support
    path = {
        "policy": f"/policies/{policy.pk}",
        "claim": f"/claims/{claim.pk}",
        "claim-withdraw": f"/claims/{claim.pk}/withdraw",
        "pay-now": f"/payments/{policy.instalments.order_by('sequence').last().pk}/pay",
        "quote": f"/products/{product.code}/quote",
        "quote-detail": f"/quotes/{QuoteFactory(product=product).reference}" if name == "quote-detail" else "",
    }.get(name)
    if path is None:
        (pattern,) = [p for p in portal_urls.urlpatterns if p.name == name]
        path = "/" + pattern.pattern.regex.pattern.removeprefix("^").removesuffix("/?$").removesuffix("$")
    return path


@pytest.mark.parametrize("name", [p.name for p in portal_urls.urlpatterns])
def test_every_portal_url_answers_with_and_without_a_slash(name, browser, insured, file_claim):
    user, _, policy = insured
    claim = file_claim()
    path = _url(name, policy, claim, policy.product, user)
    method = "post" if name in POST_ONLY else "get"

    bare = getattr(browser, method)(path)
    slashed = getattr(browser, method)(path.rstrip("/") + "/")

    assert bare.status_code not in (404, 405), path
    assert slashed.status_code == bare.status_code, path
    assert slashed.get("Location") == bare.get("Location"), path


@pytest.mark.parametrize("path", ["/login", "/login/", "/policies", "/policies/", "/register", "/register/"])
def test_anonymous_pages_answer_both_forms(path):
    response = Client().get(path)

    assert response.status_code == (302 if path.startswith("/policies") else 200)
    if response.status_code == 302:
        assert response["Location"] == "/login?next=" + path


def test_sign_in_posts_to_either_form(insured):
    user = insured[0]
    for path in ("/login", "/login/"):
        client = Client()
        response = client.post(path, {"username": user.email, "password": PASSWORD})
        assert (response.status_code, response["Location"]) == (302, "/"), path
