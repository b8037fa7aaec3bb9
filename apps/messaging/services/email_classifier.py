"""Versions of the local email classifier: the first is trained from the repository's labelled set on first use,
`manage.py train_email_classifier` (or the weekly beat job) trains the next from that set plus every manual
correction staff made."""

from django.db import transaction
from sklearn.model_selection import cross_val_score

from apps.messaging.classifier import local
from apps.messaging.models import ClassifierModel, TrainingExample


def training_examples() -> list[tuple[str, str]]:
    corrections = [(t.text, t.category) for t in TrainingExample.objects.only("text", "category")]
    return local.labelled_set() + corrections


@transaction.atomic
def email_classifier_train(*, evaluate: bool = True) -> ClassifierModel:
    """Fit on every example and store it as the next version, with its cross-validated accuracy."""
    examples = training_examples()
    pipeline = local.fit(examples)
    metrics: dict = {"examples": len(examples), "categories": sorted({c for _, c in examples})}
    if evaluate:
        texts, labels = zip(*examples, strict=True)
        scores = cross_val_score(local.fit(examples), list(texts), list(labels), cv=4)
        metrics["cv_accuracy"] = round(float(scores.mean()), 3)
    latest = ClassifierModel.objects.select_for_update().order_by("-version").first()
    return ClassifierModel.objects.create(
        version=(latest.version + 1) if latest else 1,
        sample_count=len(examples),
        metrics=metrics,
        model=local.dump(pipeline),
    )


def classifier_latest() -> ClassifierModel:
    """The newest version; trains the first when there is none (a fresh install classifies from its first mail)."""
    latest = ClassifierModel.objects.order_by("-version").first()
    if latest is None:
        with transaction.atomic():
            # one first version even when two workers start at once
            from django.db import connection

            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(hashtext('messaging.classifier.first'))")
            latest = ClassifierModel.objects.order_by("-version").first() or email_classifier_train(evaluate=False)
    return latest
