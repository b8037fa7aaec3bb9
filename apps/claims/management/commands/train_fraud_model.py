"""`manage.py train_fraud_model`: fit the fraud anomaly model on the claim history and store the next version
(the Celery task `claims.train_fraud_model` does the same on a schedule)."""

from django.core.management.base import BaseCommand, CommandError

from apps.claims.fraud import fraud_model_train


class Command(BaseCommand):
    help = "Train the fraud anomaly model (IsolationForest) on the claim history; stores a new version."

    def add_arguments(self, parser):
        parser.add_argument("--sample-limit", type=int, default=200_000, help="Most recent claims to train on.")

    def handle(self, *args, sample_limit, **options):
        try:
            model = fraud_model_train(sample_limit=sample_limit)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(self.style.SUCCESS(f"Trained {model} — new scores use version {model.version}."))
