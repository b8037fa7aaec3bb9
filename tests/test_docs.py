"""docs/architecture.md stays true to the tree: its "Built" table lists exactly the installed apps, and nothing
it calls planned exists yet."""

import re
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent
ARCHITECTURE = (ROOT / "docs" / "architecture.md").read_text()


def _table_apps(heading: str) -> list[str]:
    """First-column names of the table under `### <heading>`."""
    section = ARCHITECTURE.split(f"### {heading}\n", 1)[1].split("\n#", 1)[0]
    return [name for name in re.findall(r"^\| ([a-z_]+) \|", section, flags=re.MULTILINE) if name != "app"]


def test_the_built_table_lists_every_installed_app_once():
    installed = {match[1] for name in settings.INSTALLED_APPS if (match := re.fullmatch(r"apps\.(\w+)", name))}
    built = _table_apps("Built")

    assert len(built) == len(set(built))
    assert set(built) == installed


def test_no_planned_app_exists_yet():
    planned = _table_apps("Planned")

    assert planned == ["automations"]
    assert [name for name in planned if (ROOT / "apps" / name).exists()] == []
