"""WhatsApp template review status kept in sync: the beat job reads Meta's `message_templates` list (every page,
the Graph API's real request and answer at the HTTP boundary) and applies what changed; with the sandbox it asks
nothing and templates are reviewed in the admin."""

import json
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from apps.messaging import tasks
from apps.messaging.models import WhatsAppTemplate
from apps.messaging.providers import base
from apps.messaging.providers.base import ProviderError, TemplateStatus
from apps.messaging.providers.meta import WhatsAppCloud
from apps.messaging.services.whatsapp import whatsapp_templates_poll
from tests.factories.messaging import WhatsAppTemplateFactory

pytestmark = pytest.mark.django_db
WABA = "102290129340398"
LIST_URL = f"https://graph.facebook.com/v21.0/{WABA}/message_templates"
CONFIG = {"access_token": "tok", "business_account_id": WABA, "api_version": "v21.0"}


@pytest.fixture
def graph(monkeypatch):
    seen, answers = [], []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return answers.pop(0)

    monkeypatch.setattr(base, "transport_override", httpx.MockTransport(handler))
    return seen, answers


@pytest.fixture
def meta_whatsapp(settings, providers_configured):
    providers_configured["meta"]["business_account_id"] = WABA
    settings.MESSAGING_PROVIDER_CONFIG = providers_configured
    settings.MESSAGING_PROVIDERS = {**settings.MESSAGING_PROVIDERS, "whatsapp": "meta"}


def _page(items, *, after=None):
    """One page of the Graph API's answer, as Meta sends it."""
    body = {"data": items, "paging": {"cursors": {"before": "QVFIUmx1", "after": after or "QVFIUm9k"}}}
    if after:
        body["paging"]["next"] = (
            f"{LIST_URL}?fields=name%2Clanguage%2Cstatus%2Ccategory%2Crejected_reason&limit=100&after={after}"
        )
    return httpx.Response(200, json=body)


def _template(name, status, *, language="en_US", reason="NONE", id_="1"):
    return {
        "name": name,
        "language": language,
        "status": status,
        "category": "UTILITY",
        "rejected_reason": reason,
        "id": id_,
    }


def test_the_adapter_reads_every_page_with_the_bearer_token(graph):
    seen, answers = graph
    answers += [
        _page(
            [_template("service_notice", "APPROVED"), _template("promo", "REJECTED", reason="PROMOTIONAL")],
            after="QVFIUjJ",
        ),
        _page([_template("claim_update", "PAUSED", language="pt_PT"), _template("odd", "SOMETHING_NEW")]),
    ]

    statuses = WhatsAppCloud(CONFIG).template_statuses()

    assert statuses == [
        TemplateStatus("service_notice", "en_US", "approved", ""),
        TemplateStatus("promo", "en_US", "rejected", "PROMOTIONAL"),
        TemplateStatus("claim_update", "pt_PT", "rejected", "PAUSED"),
    ]
    first, second = seen
    assert (first.method, first.url.copy_with(query=None)) == ("GET", httpx.URL(LIST_URL))
    assert parse_qs(urlsplit(str(first.url)).query) == {
        "fields": ["name,language,status,category,rejected_reason"],
        "limit": ["100"],
    }
    assert parse_qs(urlsplit(str(second.url)).query)["after"] == ["QVFIUjJ"]
    assert [r.headers["Authorization"] for r in seen] == ["Bearer tok", "Bearer tok"]


def test_the_adapter_reports_graph_errors_and_never_follows_another_host(graph):
    _, answers = graph
    answers.append(
        httpx.Response(
            400,
            json={
                "error": {
                    "message": "Error validating access token: Session has expired",
                    "type": "OAuthException",
                    "code": 190,
                    "error_subcode": 463,
                    "fbtrace_id": "AbC",
                }
            },
        )
    )
    with pytest.raises(ProviderError) as expired:
        WhatsAppCloud(CONFIG).template_statuses()
    answers.append(
        httpx.Response(
            200,
            json={"data": [], "paging": {"cursors": {}, "next": "https://evil.example/steal?after=x"}},
        )
    )
    with pytest.raises(ProviderError) as elsewhere:
        WhatsAppCloud(CONFIG).template_statuses()
    with pytest.raises(ProviderError) as unconfigured:
        WhatsAppCloud({"access_token": "tok"}).template_statuses()

    assert (expired.value.code, expired.value.message) == ("190", "Error validating access token: Session has expired")
    assert "another host" in elsewhere.value.message
    assert "business_account_id" in unconfigured.value.message


def test_the_poll_applies_only_what_changed(graph, meta_whatsapp):
    _, answers = graph
    pending = WhatsAppTemplateFactory(name="service_notice", language="en", status="pending", approved_at=None)
    approved = WhatsAppTemplateFactory(name="renewal_due", language="pt", status="approved")
    stays = WhatsAppTemplateFactory(name="claim_update", language="en", status="approved")
    unchanged_at = stays.updated_at
    answers.append(
        _page(
            [
                _template("service_notice", "APPROVED"),
                _template("renewal_due", "DISABLED", language="pt_PT"),
                _template("claim_update", "APPROVED"),
                _template("not_here", "APPROVED"),
            ]
        )
    )

    result = whatsapp_templates_poll()

    assert result == {"provider": "meta", "checked": 4, "changed": 2}
    pending.refresh_from_db()
    approved.refresh_from_db()
    stays.refresh_from_db()
    assert (pending.status, pending.approved_at is not None) == ("approved", True)
    assert (approved.status, approved.rejection_reason, approved.approved_at) == ("rejected", "DISABLED", None)
    assert stays.updated_at == unchanged_at


def test_the_beat_task_keeps_templates_as_they_are_when_meta_is_down(graph, meta_whatsapp):
    _, answers = graph
    template = WhatsAppTemplateFactory(name="service_notice", language="en", status="pending", approved_at=None)
    answers.append(httpx.Response(503, text="Service Unavailable"))

    tasks.whatsapp_templates_poll.delay()

    template.refresh_from_db()
    assert template.status == "pending"


def test_the_sandbox_asks_nothing(graph, settings):
    settings.MESSAGING_PROVIDERS = {**settings.MESSAGING_PROVIDERS, "whatsapp": "sandbox"}
    WhatsAppTemplateFactory(status="pending")

    assert whatsapp_templates_poll() == {"provider": "sandbox", "checked": 0, "changed": 0}
    assert graph[0] == []
    assert WhatsAppTemplate.objects.get().status == "pending"


def test_the_template_status_webhook_maps_every_meta_event():
    from apps.messaging.providers.base import WebhookRequest
    from apps.messaging.providers.meta import meta_signature

    def change(event, reason=None):
        value = {
            "event": event,
            "message_template_id": 594425479261596,
            "message_template_name": "service_notice",
            "message_template_language": "en_US",
        }
        if reason:
            value["reason"] = reason
        return {"field": "message_template_status_update", "value": value}

    events = ["APPROVED", "REJECTED", "PAUSED", "REINSTATED", "FLAGGED", "DISABLED", "PENDING_DELETION", "IN_APPEAL"]
    body = json.dumps(
        {
            "object": "whatsapp_business_account",
            "entry": [{"id": WABA, "time": 1733480000, "changes": [change(e, "INVALID_FORMAT") for e in events]}],
        }
    ).encode()
    cloud = WhatsAppCloud({**CONFIG, "app_secret": "s3cret"})
    request = WebhookRequest(
        url="", method="POST", headers={"x-hub-signature-256": meta_signature("s3cret", body)}, body=body
    )

    cloud.verify(request)
    statuses = [(e.status, e.reason) for e in cloud.parse(request)]

    assert [s for s, _ in statuses] == [
        "approved",
        "rejected",
        "rejected",
        "approved",
        "approved",
        "rejected",
        "rejected",
        "pending",
    ]
