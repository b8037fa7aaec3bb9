from importlib import import_module

from django.apps import AppConfig, apps
from django.utils.module_loading import module_has_submodule


class CoreConfig(AppConfig):
    name = "apps.core"
    label = "core"
    verbose_name = "Platform"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers system checks)
        from .admin_render import install

        install()  # unfold's changelist rows, same HTML, rendered once per distinct value
        from .events import subscribe

        # Each app's hooks.py declares the extension points it offers (apps.core.hooks): all are imported here,
        # before any later app's ready() registers providers for them.
        for config in apps.get_app_configs():
            if config.name.startswith("apps.") and module_has_submodule(config.module, "hooks"):
                import_module(f"{config.name}.hooks")
        # Each app's subscribers.py maps the events it reacts to onto its handlers (`SUBSCRIPTIONS`); they are
        # wired here, in app order, so every app subscribes the same way and none is forgotten in a ready().
        for config in apps.get_app_configs():
            if config.name.startswith("apps.") and module_has_submodule(config.module, "subscribers"):
                for name, handler in import_module(f"{config.name}.subscribers").SUBSCRIPTIONS.items():
                    subscribe(name, handler)
