from celery import shared_task


@shared_task(name="integrations.claim_checks", acks_late=True)
def claim_checks(claim_id: int) -> int:
    from apps.claims.models import Claim
    from apps.integrations.services import claim_checks_run

    claim = Claim.objects.filter(pk=claim_id).first()
    return len(claim_checks_run(claim=claim)) if claim else 0
