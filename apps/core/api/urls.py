"""URL helper: API paths are written without a trailing slash and accept one, never redirecting."""

import re

from django.urls import re_path


def api_path(route: str, view, name: str):
    """`api_path("auth/login", LoginApi.as_view(), "auth-login")` matches `auth/login` and `auth/login/`.

    Path parameters use `<int:pk>` / `<str:slug>` syntax like django.urls.path.
    """
    converters = {"int": r"[0-9]+", "str": r"[^/]+", "uuid": r"[0-9a-fA-F-]{36}", "slug": r"[-a-zA-Z0-9_]+"}
    regex = route
    for kind, pname in re.findall(r"<(\w+):(\w+)>", route):
        regex = regex.replace(f"<{kind}:{pname}>", f"(?P<{pname}>{converters[kind]})")
    return re_path(rf"^{regex}/?$", view, name=name)
