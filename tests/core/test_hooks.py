"""Extension points (apps.core.hooks): declared by lower apps, provided by higher ones, checked at start-up."""

import copy
import subprocess
import sys
from pathlib import Path

import pytest
from django.apps import apps
from django.core.management import call_command

from apps.core import hooks
from apps.core.checks import hooks_wired

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def registry(monkeypatch):
    """A copy of the real wiring that a test may break without touching the process's own."""
    copied = hooks.Registry(
        hooks=dict(hooks.registry.hooks),
        providers={name: list(entries) for name, entries in hooks.registry.providers.items()},
    )
    monkeypatch.setattr(hooks, "registry", copied)
    return copied


def ids(errors) -> list[tuple[str, str]]:
    return [(error.id, error.msg) for error in errors]


@pytest.mark.django_db
def test_the_project_is_wired():
    assert ids(hooks_wired(None)) == []
    call_command("check", fail_level="ERROR")  # raises SystemCheckError on any error


def test_every_declared_hook_has_its_providers_in_app_order():
    def providers_of(name):
        return [label for label, _ in hooks.registry.providers[name]]

    assert sorted(hooks.registry.hooks) == [
        "admin.record_numbers",
        "contacts.related",
        "crm.header_mapper",
        "customers.outbound_gate",
        "gdpr.erase",
        "gdpr.export",
        "http.early_routes",
        "loyalty.policy_had_claims",
        "messaging.lead",
        "messaging.status",
        "policies.arrears",
        "quotes.application",
        "recommendations.relationship",
        "recommendations.relationship_many",
        "records.timeline",
    ]
    assert providers_of("loyalty.policy_had_claims") == ["claims"]
    assert providers_of("policies.arrears") == ["billing"]
    assert providers_of("admin.record_numbers") == ["customers", "policies", "claims", "renewals"]
    assert providers_of("contacts.related") == ["policies", "crm"]
    assert providers_of("customers.outbound_gate") == ["messaging"]
    assert providers_of("messaging.lead") == ["crm"]
    assert providers_of("messaging.status") == ["campaigns"]
    assert providers_of("http.early_routes") == ["campaigns"]
    assert providers_of("records.timeline") == ["messaging"]
    assert providers_of("crm.header_mapper") == ["assistant"]
    assert providers_of("quotes.application") == ["crm"]
    assert providers_of("recommendations.relationship") == ["crm"]
    assert providers_of("recommendations.relationship_many") == ["crm"]
    everyone = [
        "documents",
        "catalog",
        "policies",
        "billing",
        "claims",
        "renewals",
        "integrations",
        "notifications",
        "messaging",
        "crm",
        "support",
        "campaigns",
        "assistant",
    ]
    assert providers_of("gdpr.export") == everyone
    assert providers_of("gdpr.erase") == everyone


def test_a_required_hook_without_a_provider_fails_the_check(registry):
    del registry.providers["loyalty.policy_had_claims"]
    claims = apps.get_app_config("claims")

    errors = hooks_wired([claims])

    assert ids(errors) == [
        ("insureops.E010", "Hook 'loyalty.policy_had_claims' is required but no app provides it."),
        (
            "insureops.E012",
            "App 'claims' declares it provides hook 'loyalty.policy_had_claims' but never registers it.",
        ),
    ]
    assert "fn(policy) -> bool" in errors[0].hint


def test_an_optional_hook_may_go_unprovided(registry):
    hooks.Hook("test.optional", required=False, doc="fn() -> None")

    assert ids(hooks_wired(None)) == []


def test_a_provider_the_app_does_not_list_or_a_hook_nobody_declares_fails_the_check(registry):
    renewals = apps.get_app_config("renewals")
    hooks.provide(renewals, "loyalty.policy_had_claims", lambda policy: False)
    hooks.provide(renewals, "gdpr.exprot", lambda customer, archive, *, for_customer: {})

    assert ids(hooks_wired(None)) == [
        ("insureops.E011", "renewals provide hook 'gdpr.exprot', which no app declares."),
        (
            "insureops.E013",
            "App 'renewals' registers hook 'gdpr.exprot' without listing it in its AppConfig.provides.",
        ),
        (
            "insureops.E013",
            "App 'renewals' registers hook 'loyalty.policy_had_claims' without listing it in its AppConfig.provides.",
        ),
    ]


def test_a_hook_is_declared_once(registry):
    with pytest.raises(ValueError, match="declared twice"):
        hooks.Hook("gdpr.export", required=True, doc="again")


def test_registering_twice_keeps_one_provider(registry):
    claims = apps.get_app_config("claims")
    before = copy.copy(registry.providers["gdpr.export"])

    claims.ready()

    assert registry.providers["gdpr.export"] == before


def test_manage_check_fails_at_start_up_when_an_app_forgets_its_provider(tmp_path):
    """The real start-up path: an app listing a hook it never registers stops `manage.py check`."""
    script = (
        "import django, os\n"
        "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'config.settings.test')\n"
        "from apps.claims.apps import ClaimsConfig\n"
        "ready = ClaimsConfig.ready\n"
        "def forgetful(self):\n"
        "    ready(self)\n"
        "    from apps.core import hooks\n"
        "    hooks.registry.providers['loyalty.policy_had_claims'].clear()\n"
        "ClaimsConfig.ready = forgetful\n"
        "django.setup()\n"
        "from django.core.management import call_command\n"
        "call_command('check')\n"
    )

    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120)

    assert result.returncode == 1
    assert "insureops.E010" in result.stderr
    assert "Hook 'loyalty.policy_had_claims' is required but no app provides it." in result.stderr
