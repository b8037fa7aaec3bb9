"""Threading (headers, scoped to the correspondent, subject fallback), linking with reasons, classification."""

import pytest
from django.core.management import call_command

from apps.accounts.roles import Role
from apps.messaging.classifier import ClassifierInput, get_classifier
from apps.messaging.models import ClassifierModel, Email, EmailLink, TrainingExample
from apps.messaging.services.email import email_update
from apps.messaging.services.email_ingest import emails_ingest
from tests.factories.claims import ClaimFactory
from tests.factories.customers import CustomerFactory
from tests.factories.messaging import EmailAccountFactory
from tests.factories.policies import PolicyFactory
from tests.messaging.conftest import raw

pytestmark = pytest.mark.django_db


def _ingest(account, *messages):
    return emails_ingest(account=account, messages=[(None, m) for m in messages]).created


def test_reply_headers_join_the_thread_of_the_same_correspondent():
    account = EmailAccountFactory()
    (first,) = _ingest(account, raw(message_id="<t1@c.example>", sender="jo@c.example", subject="Car claim"))
    (reply,) = _ingest(
        account,
        raw(
            message_id="<t2@c.example>",
            sender="jo@c.example",
            subject="Re: Car claim",
            extra="In-Reply-To: <t1@c.example>\r\nReferences: <t1@c.example>\r\n",
            date="Sat, 05 Dec 2026 11:00:00 +0000",
        ),
    )

    assert reply.thread_id == first.thread_id == "<t1@c.example>"


def test_headers_naming_someone_elses_message_start_a_new_thread():
    account = EmailAccountFactory()
    _ingest(account, raw(message_id="<p1@c.example>", sender="jo@c.example", subject="Car claim"))
    (other,) = _ingest(
        account,
        raw(
            message_id="<p2@other.example>",
            sender="stranger@other.example",
            subject="Fwd: Car claim",
            extra="In-Reply-To: <p1@c.example>\r\n",
        ),
    )

    assert other.thread_id == "<p2@other.example>"


def test_reply_without_headers_joins_by_subject_within_the_correspondent():
    account = EmailAccountFactory()
    (first,) = _ingest(account, raw(message_id="<s1@c.example>", sender="jo@c.example", subject="Windscreen"))
    reply, unrelated = _ingest(
        account,
        raw(message_id="<s2@c.example>", sender="jo@c.example", subject="RE: AW: windscreen"),
        raw(message_id="<s3@d.example>", sender="ana@d.example", subject="Re: Windscreen"),
    )

    assert reply.thread_id == first.thread_id
    assert unrelated.thread_id == "<s3@d.example>"


def test_links_have_visible_reasons_and_mail_from_a_customer_goes_to_their_agent(make_user):
    agent = make_user(Role.AGENT)
    customer = CustomerFactory(email="Jo@Customer.example", agent=agent)
    policy = PolicyFactory(customer=customer, agent=agent)
    claim = ClaimFactory(policy=policy, handler=agent)
    other_policy = PolicyFactory()

    (email,) = _ingest(
        EmailAccountFactory(),
        raw(
            message_id="<l1@c.example>",
            sender="jo@customer.example",
            subject=f"About {claim.claim_number}",
            body=f"See also {other_policy.policy_number} and POL-1999-000001 which does not exist.",
        ),
    )

    assert email.customer == customer
    assert email.assigned_to == agent
    assert email.link_reasons == [
        f"sender = customer {customer.customer_code}",
        f"subject names {claim.claim_number}",
        f"body names {other_policy.policy_number}",
    ]
    assert sorted(EmailLink.objects.filter(email=email).values_list("kind", "object_id")) == sorted(
        [("customer", customer.pk), ("claim", claim.pk), ("policy", other_policy.pk)]
    )


def test_unknown_sender_with_a_claim_number_is_linked_to_the_claims_customer():
    claim = ClaimFactory()

    (email,) = _ingest(
        EmailAccountFactory(), raw(message_id="<l2@x.example>", sender="garage@x.example", subject=claim.claim_number)
    )

    assert email.customer == claim.policy.customer
    assert email.assigned_to is None
    assert email.link_reasons == [f"subject names {claim.claim_number}"]


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("I want to cancel my policy, I sold the car", "cancellation"),
        ("I had an accident and need to make a claim for the damage", "claim"),
        ("Please refund the premium you took twice", "refund"),
        ("Can we book a meeting on Thursday afternoon?", "appointment"),
        ("My direct debit failed, how do I pay the instalment?", "payment"),
    ],
)
def test_local_classifier_categories(text, category):
    (result,) = get_classifier().classify_many([ClassifierInput(subject="", body=text)])

    assert result.category == category
    assert result.model_version.startswith("local-v")
    assert 0 < result.confidence <= 100


def test_sentiment_and_priority():
    angry, happy = get_classifier().classify_many(
        [
            ClassifierInput(subject="Complaint", body="Terrible, rude service. I am furious and disgusted."),
            ClassifierInput(subject="Thanks", body="Thank you so much, great and friendly help!"),
        ]
    )

    assert (angry.sentiment_label, angry.priority) == ("negative", "urgent")
    assert angry.sentiment_score < -0.5
    assert happy.sentiment_label == "positive"
    assert happy.priority == "low"


def test_manual_correction_is_kept_and_retraining_makes_a_new_version(make_user):
    manager = make_user(Role.MANAGER)
    (email,) = _ingest(
        EmailAccountFactory(), raw(message_id="<c1@x.example>", subject="Hmm", body="The garage quote for the bumper")
    )
    before = ClassifierModel.objects.order_by("-version").first().version

    target = "feedback" if email.category != "feedback" else "other"
    email_update(email=email, actor=manager, category=target)
    call_command("train_email_classifier", verbosity=0)

    email.refresh_from_db()
    example = TrainingExample.objects.get(email=email)
    assert (email.category, email.category_source) == (target, "manual")
    assert (example.category, example.corrected_by) == (target, manager)
    latest = ClassifierModel.objects.order_by("-version").first()
    assert latest.version == before + 1
    assert latest.sample_count == 112
    (again,) = _ingest(email.account, raw(message_id="<c2@x.example>", subject="Hmm", body="x"))
    assert again.model_version == f"local-v{latest.version}"
    assert Email.objects.filter(model_version=f"local-v{before}").count() == 1
