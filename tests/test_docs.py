"""Documentation that drifts from the code fails the build."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from affidavit import config
from affidavit.cli import app

DOCS = Path(__file__).resolve().parents[1] / "docs"
README = DOCS.parent / "README.md"


def test_every_setting_is_documented() -> None:
    documented = (DOCS / "configuration.md").read_text()
    names = [v for k, v in vars(config).items() if k.endswith("_ENV") and isinstance(v, str)]
    assert names, "affidavit.config names no settings?"
    for name in names:
        assert f"`{name}`" in documented, f"{name} is not in docs/configuration.md"


def _commands() -> list[str]:
    found: list[str] = []
    for info in app.registered_commands:
        found.append(info.name or info.callback.__name__)  # type: ignore[union-attr]
    for group in app.registered_groups:
        for info in group.typer_instance.registered_commands:  # type: ignore[union-attr]
            found.append(f"{group.name} {info.name}")
    return found


def test_every_cli_command_is_in_the_readme() -> None:
    readme = README.read_text()
    commands = _commands()
    assert "ledger verify" in commands
    for command in commands:
        group, _, sub = command.partition(" ")
        grouped = [line for line in readme.splitlines() if line.startswith(f"affidavit {group} ")]
        found = f"affidavit {command}" in readme or any(
            sub and (f" {sub} " in f" {line} " or f"| {sub}" in line) for line in grouped
        )
        assert found, f"`affidavit {command}` is not in README.md"


def test_readme_starts_with_the_two_commands() -> None:
    head = README.read_text().split("\n## ", 1)[0]
    assert "make demo" in head
    assert "make test" in head


def test_every_plugin_hook_is_documented() -> None:
    import tomllib

    project = tomllib.loads((DOCS.parent / "pyproject.toml").read_text())["project"]
    groups = list(project["entry-points"])
    assert {"affidavit.normalizers", "affidavit.detectors", "affidavit.connectors"} <= set(groups)
    docs = "".join(p.read_text() for p in DOCS.glob("*.md"))
    for group in groups:
        assert f"`{group}`" in docs or f'"{group}"' in docs, (
            f"entry point group {group} is undocumented"
        )


def test_every_governance_configuration_key_is_documented() -> None:
    from affidavit.governance.configuration import Configuration

    documented = (DOCS / "configuration.md").read_text()
    sections = Configuration.default().settings()
    assert "owner_may_approve" in sections["approvals"]
    for section, values in sections.items():
        assert f"{section}:" in documented, f"configuration section {section} is undocumented"
        for key in values:
            assert f"{key}:" in documented, f"configuration key {section}.{key} is undocumented"


def test_the_benchmark_chart_is_drawn_from_its_figures() -> None:
    done = subprocess.run(
        [sys.executable, str(DOCS.parent / "bench" / "chart.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
