"""Email classification behind one small interface, so the AI assistant (and a hosted model later) can answer
the same question: given subject and body, which category, how sure, how urgent, what sentiment.

`get_classifier()` returns the provider named by `EMAIL_CLASSIFIER` ("local": scikit-learn + VADER, offline).
`classify_many` takes a batch: the sync classifies a whole IMAP fetch in one call."""

from dataclasses import dataclass
from typing import Protocol

from django.conf import settings


@dataclass(frozen=True)
class Classification:
    category: str
    confidence: float  # percent, one decimal, as seed 003's ai_intent shows it (94.5)
    priority: str
    sentiment_score: float  # -1 … 1, two decimals
    sentiment_label: str  # positive | neutral | negative
    model_version: str

    @property
    def ai_intent(self) -> dict:
        return {"category": self.category, "confidence": self.confidence}


@dataclass(frozen=True)
class ClassifierInput:
    subject: str
    body: str
    automated: bool = False


class EmailClassifier(Protocol):
    def classify_many(self, items: list[ClassifierInput]) -> list[Classification]: ...


def get_classifier() -> EmailClassifier:
    name = settings.EMAIL_CLASSIFIER
    if name == "local":
        from .local import LocalClassifier

        return LocalClassifier()
    raise ValueError(f"Unknown EMAIL_CLASSIFIER {name!r}")
