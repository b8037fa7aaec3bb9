"""`manage.py train_fraud_model`: fit the fraud anomaly model on the claim history and store the next version
(the Celery task `claims.train_fraud_model` does the same on a schedule)."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from apps.claims.fraud import fraud_model_train


class Command(BaseCommand):
    help = (
        "Train the fraud anomaly model (IsolationForest) on the most recent claims and store a new version. "
        "Bounded: at most --sample-limit claims (default the CLAIM_FRAUD_TRAINING_SAMPLE setting, "
        f"{settings.CLAIM_FRAUD_TRAINING_SAMPLE:,}), read in one set-based query and streamed, so a run takes "
        "the same time whatever the size of the claim history."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--sample-limit",
            type=int,
            default=None,
            help="Most recent claims to train on (default: CLAIM_FRAUD_TRAINING_SAMPLE).",
        )

    def handle(self, *args, sample_limit, **options):
        if sample_limit is not None and sample_limit < 1:
            raise CommandError("--sample-limit must be at least 1.")
        try:
            model = fraud_model_train(sample_limit=sample_limit)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        trained = f"Trained {model} on {model.sample_count} claims"
        self.stdout.write(self.style.SUCCESS(f"{trained} — new scores use version {model.version}."))
