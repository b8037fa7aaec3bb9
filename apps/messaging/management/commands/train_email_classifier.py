"""Train the next version of the local email classifier from the repository's labelled set plus every manual
correction staff made; the new version classifies all mail from then on."""

from django.core.management.base import BaseCommand

from apps.messaging.services.email_classifier import email_classifier_train


class Command(BaseCommand):
    help = "Train the next email classifier version (labelled set + manual corrections)."

    def add_arguments(self, parser):
        parser.add_argument("--no-eval", action="store_true", help="Skip the cross-validated accuracy.")

    def handle(self, *args, **options):
        model = email_classifier_train(evaluate=not options["no_eval"])
        self.stdout.write(
            f"email classifier v{model.version}: {model.sample_count} examples"
            + (
                f", cross-validated accuracy {model.metrics['cv_accuracy']:.1%}"
                if "cv_accuracy" in model.metrics
                else ""
            )
        )
