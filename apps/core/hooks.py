"""Extension points: a lower app asks higher apps for data without importing them.

Events carry a reaction *up* the app order (DESIGN.md); hooks bring data *down* it. The contract:

- The lower app declares the hook in its own `hooks.py` (found at start-up, like `admin.py`)::

      gdpr_export = Hook("gdpr.export", required=True, doc="(customer, archive, *, for_customer) -> dict")

  and calls `gdpr_export.providers()` where it needs the answers.
- A higher app names what it provides on its AppConfig and registers each in `ready()`::

      class ClaimsConfig(AppConfig):
          provides = ("gdpr.export",)

          def ready(self):
              provide(self, "gdpr.export", gdpr.export_customer_data)

- `core.checks.hooks_wired` fails `manage.py check` (and so start-up, CI and the test run) when a required hook
  has no provider, an app registers a hook no app declares or that it does not list in `provides`, or lists one it
  never registered. A forgotten provider is an error at start-up, not a silently wrong answer in production.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.apps import AppConfig


@dataclass
class Registry:
    """Declared hooks by name and, per hook, the (app label, function) pairs registered for it."""

    hooks: dict[str, "Hook"] = field(default_factory=dict)
    providers: dict[str, list[tuple[str, Callable]]] = field(default_factory=dict)


registry = Registry()


class Hook:
    """A named extension point. `required` hooks must have at least one provider (checked)."""

    def __init__(self, name: str, *, required: bool, doc: str) -> None:
        if name in registry.hooks:
            raise ValueError(f"Hook {name!r} is declared twice.")
        self.name, self.required, self.doc = name, required, doc
        registry.hooks[name] = self

    def providers(self) -> list[Callable]:
        """The registered functions, in app order (INSTALLED_APPS: `ready()` runs in that order)."""
        return [function for _, function in registry.providers.get(self.name, [])]

    def __repr__(self) -> str:
        return f"Hook({self.name!r}, required={self.required})"


def provide(app_config: AppConfig, name: str, function: Callable) -> None:
    """Register `function` as `app_config`'s provider of hook `name` (call from `AppConfig.ready()`)."""
    entries = registry.providers.setdefault(name, [])
    if (app_config.label, function) not in entries:
        entries.append((app_config.label, function))


def problems(app_configs) -> list[tuple[str, str, str]]:
    """(check id, message, hint) for every wiring fault among `app_configs` (every app's AppConfig)."""
    found = []
    registered_by: dict[str, set[str]] = {}
    for name, entries in registry.providers.items():
        for label, _ in entries:
            registered_by.setdefault(label, set()).add(name)
        if name not in registry.hooks:
            apps_ = ", ".join(sorted({label for label, _ in entries}))
            found.append(("insureops.E011", f"{apps_} provide hook {name!r}, which no app declares.", "A typo?"))
    for hook in registry.hooks.values():
        if hook.required and not registry.providers.get(hook.name):
            found.append(
                (
                    "insureops.E010",
                    f"Hook {hook.name!r} is required but no app provides it.",
                    f"Register one with apps.core.hooks.provide() in an AppConfig.ready(). Contract: {hook.doc}",
                )
            )
    for config in app_configs:
        declared = set(getattr(config, "provides", ()))
        registered = registered_by.get(config.label, set())
        for name in sorted(declared - registered):
            found.append(
                (
                    "insureops.E012",
                    f"App {config.label!r} declares it provides hook {name!r} but never registers it.",
                    "Call apps.core.hooks.provide(self, ...) in its ready().",
                )
            )
        for name in sorted(registered - declared):
            found.append(
                (
                    "insureops.E013",
                    f"App {config.label!r} registers hook {name!r} without listing it in its AppConfig.provides.",
                    "List every hook an app provides on its AppConfig, so the wiring reads in one place.",
                )
            )
    return found


# Core's own extension point: requests answered before Django's middleware and URL resolving (apps/core/handlers.py).
early_routes = Hook(
    "http.early_routes",
    required=False,
    doc="an apps.core.handlers.EarlyRoute: path prefixes, wsgi(environ) and async asgi(scope), each returning "
    "(status, headers, body) to answer or None to let Django answer",
)
