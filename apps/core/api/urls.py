"""URL helper: API paths are written without a trailing slash and accept one, never redirecting."""

from apps.core.urls import slash_optional_path


def api_path(route: str, view, name: str):
    """`api_path("auth/login", LoginApi.as_view(), "auth-login")` matches `auth/login` and `auth/login/`.

    Path parameters use `<int:pk>` / `<str:slug>` syntax like django.urls.path.
    """
    return slash_optional_path(route, view, name)
