"""Every model of the project has a factory in tests/factories/, and each one builds a row the model accepts."""

import importlib
import pkgutil

import factory
import pytest
from django.apps import apps

import tests.factories


def _factories() -> dict:
    found = {}
    for module_info in pkgutil.iter_modules(tests.factories.__path__):
        module = importlib.import_module(f"tests.factories.{module_info.name}")
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, factory.django.DjangoModelFactory):
                model = value._meta.model
                if model is not None and value.__module__ == module.__name__:
                    found[model] = value
    return found


def _project_models() -> list:
    """The project's own models, without pghistory's generated event tables (written by triggers only)."""
    return [
        model
        for model in apps.get_models()
        if model.__module__.startswith("apps.") and not any(f.name == "pgh_obj" for f in model._meta.fields)
    ]


FACTORIES = _factories()


def test_every_model_has_a_factory():
    missing = sorted(f"{m._meta.label}" for m in _project_models() if m not in FACTORIES)
    assert missing == []


@pytest.mark.django_db
@pytest.mark.parametrize("model", _project_models(), ids=lambda m: m._meta.label)
def test_factory_builds_a_valid_row(model):
    obj = FACTORIES[model]()

    obj.full_clean()
    assert model._default_manager.filter(pk=obj.pk).count() == 1
