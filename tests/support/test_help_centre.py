"""The help centre (seed 002 #7): public FAQs with full-text search ranked by relevance, votes, failed searches
recorded; the knowledge hub (seed 004 §3.9) by audience, with versions; macros; the admin ticket screen."""

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from apps.accounts.roles import Role
from apps.support import services
from apps.support.macros import macro_render
from apps.support.models import FaqSearchMiss, KnowledgeResource, Macro, TicketMessage
from tests.conftest import client_for
from tests.factories.accounts import TeamFactory
from tests.factories.customers import CustomerFactory
from tests.factories.support import FaqCategoryFactory, FaqFactory, KnowledgeResourceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def faqs():
    claims = FaqCategoryFactory(name="Claims", slug="claims")
    payments = FaqCategoryFactory(name="Payments", slug="payments")
    return {
        "file": FaqFactory(
            category=claims,
            question="How do I file a claim?",
            answer="Open Claims in your account and describe what happened.",
        ),
        "documents": FaqFactory(
            category=claims, question="Which documents does a motor claim need?", answer="Photos and a repair quote."
        ),
        "pay": FaqFactory(
            category=payments,
            question="How can I pay my premium?",
            answer="By card, or by bank transfer. Claims are paid by transfer too.",
        ),
        "hidden": FaqFactory(category=payments, question="Draft: claim payments", is_published=False),
    }


def test_faqs_are_public_with_categories(api_client, faqs):
    response = api_client.get("/api/v1/faqs")

    assert response.status_code == 200
    data = response.json()["data"]
    assert {c["slug"]: c["faq_count"] for c in data["categories"]} == {"claims": 2, "payments": 1}
    assert len(data["faqs"]) == 3
    assert api_client.get("/api/v1/faqs", {"category": "payments"}).json()["data"]["faqs"][0]["id"] == faqs["pay"].pk


def test_search_ranks_by_relevance_and_stems(api_client, faqs):
    response = api_client.get("/api/v1/faqs", {"search": "claims"})

    ids = [f["id"] for f in response.json()["data"]["faqs"]]
    # a question about claims outranks an answer that mentions them; the unpublished draft never shows
    assert ids[-1] == faqs["pay"].pk
    assert set(ids) == {faqs["file"].pk, faqs["documents"].pk, faqs["pay"].pk}
    prefix = api_client.get("/api/v1/faqs", {"search": "docum"}).json()["data"]["faqs"]
    assert [f["id"] for f in prefix] == [faqs["documents"].pk]


def test_failed_search_is_recorded_for_the_editors(api_client, faqs):
    api_client.get("/api/v1/faqs", {"search": "Pet  insurance"})
    api_client.get("/api/v1/faqs", {"search": "pet insurance"})
    api_client.get("/api/v1/faqs", {"search": "claim"})

    assert list(FaqSearchMiss.objects.values_list("query", "count")) == [("pet insurance", 2)]


def test_public_answers_are_kept_until_an_faq_changes(api_client, faqs, django_assert_num_queries):
    first = api_client.get("/api/v1/faqs?search=claim").json()["data"]

    with django_assert_num_queries(0):  # the same search again: from the cache
        again = api_client.get("/api/v1/faqs?search=claim").json()["data"]
    assert again == first
    faqs["file"].question = "How do I report a claim?"
    faqs["file"].save()
    edited = api_client.get("/api/v1/faqs?search=claim").json()["data"]
    assert "How do I report a claim?" in [f["question"] for f in edited["faqs"]]
    faqs["hidden"].is_published = True
    faqs["hidden"].save()
    assert "Draft: claim payments" in [
        f["question"] for f in api_client.get("/api/v1/faqs?search=claim").json()["data"]["faqs"]
    ]


def test_a_failed_search_is_counted_each_time_even_when_cached(api_client, faqs):
    api_client.get("/api/v1/faqs?search=hovercraft")
    api_client.get("/api/v1/faqs?search=Hovercraft")

    assert FaqSearchMiss.objects.get(query="hovercraft").count == 2


def test_a_vote_refreshes_the_kept_tally(api_client, faqs):
    api_client.get("/api/v1/faqs?search=pay")
    api_client.post(f"/api/v1/faqs/{faqs['pay'].pk}/vote", {"helpful": True}, format="json")

    row = next(f for f in api_client.get("/api/v1/faqs?search=pay").json()["data"]["faqs"] if f["id"] == faqs["pay"].pk)
    assert row["helpful_yes"] == 1


def test_was_this_helpful_counts_one_vote_per_person(api_client, faqs, make_user):
    url = f"/api/v1/faqs/{faqs['file'].pk}/vote"
    customer = client_for(make_user(Role.CUSTOMER))

    customer.post(url, {"helpful": False}, format="json")
    response = customer.post(url, {"helpful": True}, format="json")  # changes their vote
    api_client.post(url, {"helpful": True}, format="json")

    assert response.status_code == 200
    assert response.json()["data"] == {"id": faqs["file"].pk, "helpful_yes": 1, "helpful_no": 0}
    listed = {f["id"]: f["helpful_yes"] for f in api_client.get("/api/v1/faqs").json()["data"]["faqs"]}
    assert listed[faqs["file"].pk] == 2
    assert (
        api_client.post(f"/api/v1/faqs/{faqs['hidden'].pk}/vote", {"helpful": True}, format="json").status_code == 404
    )
    assert api_client.post(url, {}, format="json").status_code == 400


def test_staff_only_resources_never_reach_customers_or_anonymous_callers(api_client, make_user):
    public = KnowledgeResourceFactory(audience="public", title="Motor claims at the scene")
    customers = KnowledgeResourceFactory(audience="customers", title="Your policy documents")
    staff_only = KnowledgeResourceFactory(audience="staff", title="Complaint procedure")

    def titles(client, **params):
        return {r["title"] for r in client.get("/api/v1/knowledge-hub/resources", params).json()["data"]["resources"]}

    assert titles(api_client) == {public.title}
    assert titles(client_for(make_user(Role.CUSTOMER))) == {public.title, customers.title}
    assert titles(client_for(make_user(Role.VIEWER))) == {public.title, customers.title, staff_only.title}
    assert titles(api_client, search="complaint") == set()
    assert api_client.get(f"/api/v1/knowledge-hub/resources/{staff_only.pk}").status_code == 404
    customer = client_for(make_user(Role.CUSTOMER))
    assert customer.get(f"/api/v1/knowledge-hub/resources/{staff_only.pk}").status_code == 404


def test_an_edit_keeps_the_previous_text(make_user):
    agent = client_for(make_user(Role.AGENT))
    created = agent.post(
        "/api/v1/knowledge-hub/resources",
        {"title": "Towing", "body": "Call 112.", "audience": "public", "tags": ["motor"]},
        format="json",
    )
    pk = created.json()["data"]["id"]

    response = agent.put(f"/api/v1/knowledge-hub/resources/{pk}", {"body": "Call the assistance line."}, format="json")

    data = response.json()["data"]
    assert (data["version"], data["body"]) == (2, "Call the assistance line.")
    assert [(v["version"], v["body"]) for v in data["versions"]] == [(1, "Call 112.")]
    assert agent.get("/api/v1/knowledge-hub/resources", {"tag": "motor"}).json()["data"]["resources"][0]["id"] == pk


def test_a_link_needs_its_url_and_customers_cannot_edit(make_user):
    agent = client_for(make_user(Role.AGENT))
    resource = KnowledgeResourceFactory(audience="public")

    bad = agent.post("/api/v1/knowledge-hub/resources", {"title": "A link", "kind": "link"}, format="json")
    refused = client_for(make_user(Role.CUSTOMER)).put(
        f"/api/v1/knowledge-hub/resources/{resource.pk}", {"title": "Hacked"}, format="json"
    )

    assert bad.status_code == 400
    assert refused.status_code == 403
    assert KnowledgeResource.objects.get(pk=resource.pk).title != "Hacked"


def test_macro_variables_are_filled_and_unknown_ones_refused(make_user):
    agent = make_user(Role.AGENT, first_name="Alex", last_name="Agent")
    customer = CustomerFactory(first_name="Chris", agent=agent)
    ticket = services.ticket_open(actor=agent, customer=customer, subject="Cover", description="x")

    text = macro_render("Hi {{customer_first_name}}, re {{ticket_number}}. {{agent_name}}", ticket=ticket, agent=agent)

    assert text == f"Hi Chris, re {ticket.ticket_number}. Alex Agent"
    with pytest.raises(ValidationError, match="Unknown variables: password"):
        Macro(name="Bad", body="{{password}}").full_clean()


def test_admin_ticket_screen_replies_with_a_macro_and_writes_notes(client, make_user):
    manager = make_user(Role.MANAGER, first_name="Maya")
    team = TeamFactory(manager=manager)
    agent = make_user(Role.AGENT, team=team)
    customer = CustomerFactory(first_name="Chris", agent=agent)
    ticket = services.ticket_open(actor=agent, customer=customer, subject="Cover", description="x")
    macro = Macro.objects.create(name="Ack", body="Hello {{customer_first_name}}")
    client.force_login(manager)
    url = f"/admin/support/ticket/{ticket.pk}/change/"

    page = client.get(url)
    assert page.status_code == 200
    list_page = client.get("/admin/support/ticket/", {"sla_state": "on_track"})
    assert list_page.status_code == 200
    client.post(
        url,
        {
            "macro": macro.pk,
            "reply": "",
            "new_status": "open",
            "new_priority": "high",
            "new_assignee": agent.pk,
            "reason": "",
            "activities-TOTAL_FORMS": 0,
            "activities-INITIAL_FORMS": 0,
        },
    )
    client.post(
        url,
        {
            "reply": "Check the rating rule",
            "internal": "on",
            "new_status": "open",
            "new_priority": "high",
            "new_assignee": agent.pk,
            "activities-TOTAL_FORMS": 0,
            "activities-INITIAL_FORMS": 0,
        },
    )

    messages = list(TicketMessage.objects.filter(ticket=ticket).values_list("body", "internal"))
    assert messages == [("x", False), ("Hello Chris", False), ("Check the rating rule", True)]
    ticket.refresh_from_db()
    assert (ticket.status, ticket.priority) == ("open", "high")


def test_admin_reply_on_a_new_ticket_keeps_the_shown_status_and_opens_it(client, make_user):
    agent = make_user(Role.AGENT, team=TeamFactory())
    customer = CustomerFactory(agent=agent)
    ticket = services.ticket_open(actor=agent, customer=customer, subject="Cover", description="x")
    client.force_login(agent)
    url = f"/admin/support/ticket/{ticket.pk}/change/"

    response = client.post(
        url,
        {
            "reply": "We are on it.",
            "new_status": "new",  # the status the screen showed: no move asked
            "new_priority": ticket.priority,
            "new_assignee": agent.pk,
            "activities-TOTAL_FORMS": 0,
            "activities-INITIAL_FORMS": 0,
        },
        follow=True,
    )

    assert [str(m) for m in response.context["messages"] if m.level_tag == "error"] == []
    ticket.refresh_from_db()
    assert ticket.status == "open"
    assert ticket.messages.filter(sender="staff", body="We are on it.").exists()


def _pdf(text: str = "Motor claims at the scene") -> SimpleUploadedFile:
    body = f"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\n% {text}\ntrailer<</Root 1 0 R>>\n%%EOF\n".encode()
    return SimpleUploadedFile("guide.pdf", body, content_type="application/pdf")


def test_a_staff_only_file_never_reaches_customers_or_anonymous_callers(api_client, make_user):
    agent = make_user(Role.AGENT)
    customer = make_user(Role.CUSTOMER)
    CustomerFactory(user=customer)
    staff = client_for(agent)

    internal = staff.post(
        "/api/v1/knowledge-hub/resources",
        {"title": "Underwriting guide", "audience": "staff", "file": _pdf("internal")},
        format="multipart",
    )
    public = staff.post(
        "/api/v1/knowledge-hub/resources",
        {"title": "Motor claims guide", "audience": "public", "file": _pdf("public")},
        format="multipart",
    )

    assert internal.status_code == public.status_code == 201, internal.content
    secret, open_ = internal.json()["data"], public.json()["data"]
    assert secret["kind"] == "document"
    assert secret["file"]["name"] == "guide.pdf"
    assert secret["file"]["url"] == f"/api/v1/knowledge-hub/resources/{secret['id']}/file"
    assert staff.get(secret["file"]["url"]).status_code == 200
    for client in (api_client, client_for(customer)):
        assert client.get(secret["file"]["url"]).status_code == 404
        assert client.get(f"/api/v1/knowledge-hub/resources/{secret['id']}").status_code == 404
        download = client.get(open_["file"]["url"])
        assert download.status_code == 200
        assert b"public" in b"".join(download.streaming_content)
    # nor as a document of theirs, by the documents API
    assert client_for(customer).get(f"/api/v1/files/{secret['document_id']}/download").status_code == 404


def test_an_infected_file_is_refused_and_nothing_is_written(make_user):
    from apps.documents.inspection import EICAR

    staff = client_for(make_user(Role.AGENT))

    response = staff.post(
        "/api/v1/knowledge-hub/resources",
        {"title": "Virus", "audience": "public", "file": SimpleUploadedFile("x.txt", EICAR)},
        format="multipart",
    )

    assert response.status_code in (415, 422)
    assert KnowledgeResource.objects.count() == 0


def test_a_new_file_keeps_the_previous_one_as_a_version(make_user):
    agent = make_user(Role.AGENT)
    resource = services.knowledge_resource_create(actor=agent, title="Guide", audience="customers", file=_pdf("v1"))
    first = resource.document

    services.knowledge_resource_update(resource=resource, actor=agent, file=_pdf("v2"))

    resource.refresh_from_db()
    assert resource.version == 2
    assert resource.document != first
    assert resource.versions.get().document == first
