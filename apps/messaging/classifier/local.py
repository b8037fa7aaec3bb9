"""The local, offline classifier: a scikit-learn pipeline (TF-IDF over words and character n-grams, logistic
regression) for the category, trained on the labelled set in `data/labelled_emails.csv` plus every manual
correction; VADER's lexicon for sentiment; a few explicit rules for priority. Versioned: the newest
`ClassifierModel` is used, its version stored on each email (`local-v3`)."""

import csv
import io
import re
import threading
from pathlib import Path

import joblib
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from . import Classification, ClassifierInput

DATA = Path(__file__).parent / "data" / "labelled_emails.csv"
MAX_CHARS = 4000  # the opening of a long mail says what it is about; quoted history below adds only noise
URGENT_WORDS = re.compile(
    r"\b(urgent|urgently|asap|immediately|ombudsman|lawyer|solicitor|legal action|court|regulator)\b", re.I
)
HIGH_CATEGORIES = {"complaint", "claim", "cancellation"}
LOW_CATEGORIES = {"feedback", "other"}

_lock = threading.Lock()
_cache: dict[int, Pipeline] = {}
_vader = SentimentIntensityAnalyzer()


def labelled_set() -> list[tuple[str, str]]:
    """The repository's labelled examples: (text, category)."""
    with DATA.open(newline="", encoding="utf-8") as handle:
        return [(row["text"], row["category"]) for row in csv.DictReader(handle)]


def fit(examples: list[tuple[str, str]]) -> Pipeline:
    pipeline = Pipeline(
        [
            (
                "features",
                FeatureUnion(
                    [
                        ("words", TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=1)),
                        ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True)),
                    ]
                ),
            ),
            ("model", LogisticRegression(max_iter=2000, C=8.0)),
        ]
    )
    texts, labels = zip(*examples, strict=True)
    pipeline.fit(list(texts), list(labels))
    return pipeline


def dump(pipeline: Pipeline) -> bytes:
    buffer = io.BytesIO()
    joblib.dump(pipeline, buffer)
    return buffer.getvalue()


def sentiment(text: str) -> tuple[float, str]:
    score = round(_vader.polarity_scores(text[:MAX_CHARS])["compound"], 2)
    label = "positive" if score >= 0.05 else "negative" if score <= -0.05 else "neutral"
    return score, label


def priority_for(category: str, score: float, text: str, automated: bool) -> str:
    if automated:
        return "low"
    if URGENT_WORDS.search(text) or (category == "complaint" and score <= -0.5):
        return "urgent"
    if category in HIGH_CATEGORIES or score <= -0.3:
        return "high"
    if category in LOW_CATEGORIES:
        return "low"
    return "medium"


def _text(item: ClassifierInput) -> str:
    return f"{item.subject}\n{item.body}"[:MAX_CHARS]


class LocalClassifier:
    """The newest trained version (trained from the labelled set on first use when there is none)."""

    def _pipeline(self) -> tuple[Pipeline, int]:
        """The newest version's fitted pipeline. Asking which version is newest reads one integer; the pickled
        pipeline (hundreds of kilobytes) is read and unpickled only when that version is not loaded yet — not
        for every batch of mail, as before."""
        from apps.messaging.models import ClassifierModel
        from apps.messaging.services.email_classifier import classifier_latest

        version = ClassifierModel.objects.order_by("-version").values_list("version", flat=True).first()
        with _lock:
            if version is not None and version in _cache:
                return _cache[version], version
        record = classifier_latest() if version is None else ClassifierModel.objects.get(version=version)
        pipeline = joblib.load(io.BytesIO(bytes(record.model)))
        with _lock:
            _cache.clear()
            _cache[record.version] = pipeline
        return pipeline, record.version

    def classify_many(self, items: list[ClassifierInput]) -> list[Classification]:
        if not items:
            return []
        pipeline, version = self._pipeline()
        texts = [_text(item) for item in items]
        probabilities = pipeline.predict_proba(texts)
        classes = pipeline.classes_
        results = []
        for item, text, row in zip(items, texts, probabilities, strict=True):
            best = int(row.argmax())
            category = str(classes[best])
            score, label = sentiment(text)
            results.append(
                Classification(
                    category=category,
                    confidence=round(float(row[best]) * 100, 1),
                    priority=priority_for(category, score, text, item.automated),
                    sentiment_score=score,
                    sentiment_label=label,
                    model_version=f"local-v{version}",
                )
            )
        return results
