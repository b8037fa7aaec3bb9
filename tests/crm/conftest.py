import pytest

from apps.core import events


@pytest.fixture
def heard(monkeypatch, django_capture_on_commit_callbacks):
    """Events delivered after commit, as (name, data, groups); the `commit` callable runs the on-commit hooks."""
    received = []
    deliver = events.deliver

    def listening(event, groups):
        received.append((event["event"], event["data"], groups))
        deliver(event, groups)

    monkeypatch.setattr(events, "deliver", listening)
    return received
