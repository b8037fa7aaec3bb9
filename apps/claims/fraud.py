"""Fraud scoring (seed 002 unique #2): a 0–100 score per claim from explained indicators plus an anomaly score
from a scikit-learn IsolationForest trained on the claim history. Advisory: a person records the decision.

Each indicator is a small function of the claim returning (points, explanation) or None; the score is their sum
capped at 100. The anomaly model adds up to ANOMALY_POINTS.
"""

import io
import math
from dataclasses import asdict, dataclass
from datetime import timedelta

import joblib
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, F, Q

from apps.customers.models import Customer
from apps.documents.models import Document

from .models import Claim, ClaimPayment, FraudAssessment, FraudModel, FraudReview

ANOMALY_POINTS = 20
FEATURES = [
    "log_claimed_amount",
    "amount_to_limit",
    "days_since_inception",
    "report_delay_days",
    "prior_claims_year",
    "incident_hour",
]


@dataclass
class Indicator:
    code: str
    label: str
    points: int
    explanation: str


# --- indicators -----------------------------------------------------------------------------------------------


def _soon_after_inception(claim: Claim):
    days = (claim.incident_date - claim.policy.start_date).days
    if days < 0:
        return None  # incident_before_inception covers it
    if days < 30:
        return 20, f"The incident happened {days} day(s) after the policy started."
    if days < 60:
        return 10, f"The incident happened {days} days after the policy started."
    return None


def _incident_before_inception(claim: Claim):
    if claim.incident_date < claim.policy.start_date:
        return 30, f"The incident ({claim.incident_date}) is before the policy started ({claim.policy.start_date})."
    return None


def _late_reporting(claim: Claim):
    delay = (claim.reported_date - claim.incident_date).days
    limit = settings.CLAIM_LATE_REPORTING_DAYS
    if delay > 3 * limit:
        return 15, f"Reported {delay} days after the incident (expected within {limit})."
    if delay > limit:
        return 10, f"Reported {delay} days after the incident (expected within {limit})."
    return None


def _close_to_limit(claim: Claim):
    if not claim.coverage_limit:
        return None
    share = claim.claimed_amount / claim.coverage_limit
    if share >= 0.9:
        return 15, f"The amount claimed is {share:.0%} of the cover's limit ({claim.coverage_limit} {claim.currency})."
    if share >= 0.75:
        return 8, f"The amount claimed is {share:.0%} of the cover's limit ({claim.coverage_limit} {claim.currency})."
    return None


def _frequency(claim: Claim):
    since = claim.incident_date - timedelta(days=365)
    others = Claim.objects.filter(customer_id=claim.customer_id, incident_date__gte=since).exclude(pk=claim.pk)
    counts = others.aggregate(all=Count("id"), vehicle=Count("id", filter=Q(vehicle_id=claim.vehicle_id)))
    if counts["all"] >= 3:
        return 20, f"The customer has {counts['all']} other claims in the 12 months before this incident."
    if counts["all"] == 2:
        return 10, "The customer has 2 other claims in the 12 months before this incident."
    if claim.vehicle_id and counts["vehicle"]:
        return 10, "The same vehicle was in another claim in the 12 months before this incident."
    return None


def _shared_documents(claim: Claim):
    """The same bytes (sha256) among this claim's documents and assessment photos and another claim's."""
    from .models import Assessment

    assessment_id = Assessment.objects.filter(claim=claim).values_list("pk", flat=True).first()
    mine = Q(entity_type="claim", entity_id=claim.pk)
    if assessment_id:
        mine |= Q(entity_type="assessment", entity_id=assessment_id)
    live = Document.objects.filter(deleted_at__isnull=True)
    digests = live.filter(mine).values("sha256")
    others = live.filter(sha256__in=digests, entity_type__in=["claim", "assessment"]).exclude(mine)
    pairs = set(others.values_list("entity_type", "entity_id")[:50])
    claim_ids = {pk for kind, pk in pairs if kind == "claim"}
    claim_ids |= set(
        Assessment.objects.filter(pk__in=[pk for kind, pk in pairs if kind == "assessment"]).values_list(
            "claim_id", flat=True
        )
    )
    numbers = sorted(Claim.objects.filter(pk__in=claim_ids).values_list("claim_number", flat=True))[:5]
    if numbers:
        return 25, f"The same file (photo or document) is on other claim(s): {', '.join(numbers)}."
    return None


def _shared_contact(claim: Claim):
    customer = claim.customer
    condition = Q()
    if customer.phone:
        condition |= Q(phone=customer.phone)
    if customer.email:
        condition |= Q(email__iexact=customer.email)
    if not condition:
        return None
    others = Customer.objects.filter(condition, deleted_at__isnull=True).exclude(pk=customer.pk).count()
    if others:
        return 10, f"The customer's phone or email is also on {others} other customer record(s)."
    return None


def _shared_bank_account(claim: Claim):
    hashes = list(claim.payments.exclude(bank_account_hash="").values_list("bank_account_hash", flat=True))
    if not hashes:
        return None
    others = (
        ClaimPayment.objects.filter(bank_account_hash__in=hashes)
        .exclude(claim__customer_id=claim.customer_id)
        .values("claim__customer_id")
        .distinct()
        .count()
    )
    if others:
        return 25, f"A bank account paid on this claim also received payments for {others} other customer(s)."
    return None


INDICATORS = [
    ("soon_after_inception", "Claim soon after inception", _soon_after_inception),
    ("incident_before_inception", "Incident before inception", _incident_before_inception),
    ("late_reporting", "Late reporting", _late_reporting),
    ("close_to_limit", "Amount close to the limit", _close_to_limit),
    ("frequency", "Frequent claims", _frequency),
    ("shared_documents", "Same file on another claim", _shared_documents),
    ("shared_contact", "Contact details shared with other customers", _shared_contact),
    ("shared_bank_account", "Bank account shared with other customers", _shared_bank_account),
]


# --- the anomaly model --------------------------------------------------------------------------------------------


def claim_features(claims) -> list[list[float]]:
    """The model's inputs, in FEATURES order, for claims with `policy` loaded and `prior_claims` annotated."""
    rows = []
    for c in claims:
        limit = float(c.coverage_limit or 0) or 1.0
        rows.append(
            [
                math.log1p(float(c.claimed_amount)),
                float(c.claimed_amount) / limit,
                float((c.incident_date - c.policy.start_date).days),
                float((c.reported_date - c.incident_date).days),
                float(getattr(c, "prior_claims", 0)),
                float(c.incident_time.hour if c.incident_time else 12),
            ]
        )
    return rows


def _with_prior_claims(qs):
    return qs.select_related("policy").annotate(
        prior_claims=Count(
            "customer__claims",
            filter=Q(customer__claims__incident_date__lt=F("incident_date"))
            & Q(customer__claims__incident_date__gte=F("incident_date") - timedelta(days=365)),
        )
    )


# Prior claims of the same customer with an incident in the 365 days before this one (same-day claims excluded),
# counted by a window over the sampled customers' claims in one pass: the same figure `_with_prior_claims` gives a
# single claim at scoring time, without a join per sampled claim.
_TRAINING_ROWS = """
WITH sample AS (
    SELECT c.id, c.customer_id, c.claimed_amount, c.coverage_limit, c.incident_date, c.reported_date,
           c.incident_time, p.start_date
    FROM {claims} c JOIN {policies} p ON p.id = c.policy_id
    ORDER BY c.created_at DESC, c.id DESC
    LIMIT %s
), prior AS (
    SELECT h.id, count(*) OVER (
        PARTITION BY h.customer_id ORDER BY h.incident_date - DATE '2000-01-01'
        RANGE BETWEEN 365 PRECEDING AND 1 PRECEDING
    ) AS prior_claims
    FROM {claims} h
    WHERE h.customer_id IN (SELECT customer_id FROM sample)
)
SELECT s.claimed_amount, s.coverage_limit, s.incident_date, s.reported_date, s.incident_time, s.start_date,
       prior.prior_claims
FROM sample s JOIN prior ON prior.id = s.id
"""


def training_features(*, sample_limit: int) -> list[list[float]]:
    """The model's inputs (FEATURES order) for the `sample_limit` most recent claims: one set-based query (the
    prior-claims count is a window, not a join per claim), rows streamed from the cursor in chunks and turned into
    floats as they come, so memory is bounded by the sample, never by the claim history."""
    from apps.policies.models import Policy

    sql = _TRAINING_ROWS.format(claims=Claim._meta.db_table, policies=Policy._meta.db_table)
    rows: list[list[float]] = []
    with connection.cursor() as cursor:
        cursor.execute(sql, [sample_limit])
        while chunk := cursor.fetchmany(2_000):
            for claimed, limit, incident, reported, at, start, prior in chunk:
                rows.append(
                    [
                        math.log1p(float(claimed)),
                        float(claimed) / (float(limit or 0) or 1.0),
                        float((incident - start).days),
                        float((reported - incident).days),
                        float(prior),
                        float(at.hour if at else 12),
                    ]
                )
    return rows


def fraud_model_train(*, sample_limit: int | None = None) -> FraudModel:
    """Fit an IsolationForest on the most recent claims and store it as the next version.

    Bounded: at most `sample_limit` claims (default `CLAIM_FRAUD_TRAINING_SAMPLE`), read in one set-based query.
    Each tree sees 256 of them (IsolationForest's default); the whole sample calibrates the score."""
    from sklearn.ensemble import IsolationForest

    limit = sample_limit or settings.CLAIM_FRAUD_TRAINING_SAMPLE
    features = training_features(sample_limit=limit)
    if len(features) < settings.CLAIM_FRAUD_MIN_TRAINING_CLAIMS:
        raise ValueError(
            f"{len(features)} claims: the model needs at least {settings.CLAIM_FRAUD_MIN_TRAINING_CLAIMS} to train."
        )
    estimator = IsolationForest(n_estimators=200, contamination="auto", random_state=7).fit(features)
    scores = sorted(estimator.score_samples(features))
    calibration = {"p01": scores[max(0, int(0.01 * len(scores)) - 1)], "p50": scores[len(scores) // 2]}
    buffer = io.BytesIO()
    joblib.dump(estimator, buffer)
    with transaction.atomic():
        latest = FraudModel.objects.select_for_update().order_by("-version").first()
        return FraudModel.objects.create(
            version=(latest.version + 1) if latest else 1,
            sample_count=len(features),
            features=FEATURES,
            calibration=calibration,
            model=buffer.getvalue(),
        )


_loaded: dict[int, object] = {}


def _anomaly(claim: Claim) -> tuple[float | None, int | None]:
    model = FraudModel.objects.order_by("-version").defer("model").first()
    if model is None:
        return None, None
    if model.version not in _loaded:
        blob = FraudModel.objects.values_list("model", flat=True).get(pk=model.pk)
        _loaded[model.version] = joblib.load(io.BytesIO(bytes(blob)))
    estimator = _loaded[model.version]
    row = claim_features(_with_prior_claims(Claim.objects.filter(pk=claim.pk)))
    score = float(estimator.score_samples(row)[0])
    p01, p50 = model.calibration["p01"], model.calibration["p50"]
    spread = (p50 - p01) or 1e-9
    return max(0.0, min(1.0, (p50 - score) / spread)), model.version


# --- scoring ------------------------------------------------------------------------------------------------


def claim_fraud_score(*, claim: Claim) -> FraudAssessment:
    """Score the claim now; store the assessment and put the claim in the review queue at the threshold."""
    claim = Claim.objects.select_related("policy", "customer").get(pk=claim.pk)
    found: list[Indicator] = []
    for code, label, check in INDICATORS:
        result = check(claim)
        if result:
            found.append(Indicator(code, label, result[0], result[1]))
    anomaly, version = _anomaly(claim)
    if anomaly is not None and anomaly > 0:
        points = round(anomaly * ANOMALY_POINTS)
        if points:
            found.append(
                Indicator(
                    "anomaly",
                    "Unusual for the claim history",
                    points,
                    f"The anomaly model (v{version}) rates this claim more unusual than {anomaly:.0%} of the way "
                    "from a typical claim to the most unusual 1 %.",
                )
            )
    score = min(100, sum(i.points for i in found))
    with transaction.atomic():
        assessment = FraudAssessment.objects.create(
            claim=claim,
            score=score,
            indicators=[asdict(i) for i in found],
            anomaly=anomaly,
            model_version=version,
        )
        review = claim.fraud_review
        if score >= settings.CLAIM_FRAUD_REVIEW_THRESHOLD and review not in (
            FraudReview.CLEARED,
            FraudReview.INVESTIGATING,
            FraudReview.CONFIRMED,
        ):
            review = FraudReview.PENDING
        Claim.objects.filter(pk=claim.pk).update(fraud_score=score, fraud_review=review)
    return assessment
