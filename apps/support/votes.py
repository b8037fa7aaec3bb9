"""Who casts a 'was this helpful' vote: one key per person, no personal data stored."""

import hashlib


def voter_key(request) -> str:
    """A signed-in user's id, else a hash of the browser's session (or, without one, its address)."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"user:{user.pk}"
    session = getattr(request, "session", None)
    raw = (session.session_key if session is not None and session.session_key else "") or request.META.get(
        "REMOTE_ADDR", ""
    )
    return "anon:" + hashlib.sha256(raw.encode()).hexdigest()[:48]
