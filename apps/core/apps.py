from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "apps.core"
    label = "core"
    verbose_name = "Platform"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers system checks)
        from .events import subscribe
        from .figures import bump_generation

        subscribe("*", bump_generation)
