"""Claims background work: fraud scoring after filing and payments, and (re)training the anomaly model."""

from celery import shared_task


@shared_task(name="claims.score_fraud", acks_late=True)
def score_fraud(claim_id: int) -> int | None:
    from apps.claims.fraud import claim_fraud_score
    from apps.claims.models import Claim

    claim = Claim.objects.filter(pk=claim_id).first()
    return claim_fraud_score(claim=claim).score if claim else None


@shared_task(name="claims.train_fraud_model")
def train_fraud_model() -> int:
    from apps.claims.fraud import fraud_model_train

    return fraud_model_train().version
