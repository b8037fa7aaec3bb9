"""URL helper shared by the API and the portal: a path is written without a trailing slash and answers with one
too, never redirecting (a redirected POST loses its body, and a link copied with or without the slash must work)."""

import re

from django.urls import re_path

CONVERTERS = {"int": r"[0-9]+", "str": r"[^/]+", "uuid": r"[0-9a-fA-F-]{36}", "slug": r"[-a-zA-Z0-9_]+"}


def slash_optional_path(route: str, view, name: str | None = None):
    """`slash_optional_path("claims/<int:pk>", view, "claim")` matches `claims/7` and `claims/7/`; `reverse()` gives
    the form without the slash. Path parameters use `<int:pk>` / `<str:slug>` syntax like django.urls.path."""
    regex = route.rstrip("/")
    for kind, pname in re.findall(r"<(\w+):(\w+)>", route):
        regex = regex.replace(f"<{kind}:{pname}>", f"(?P<{pname}>{CONVERTERS[kind]})")
    return re_path(rf"^{regex}/?$" if regex else r"^$", view, name=name)
