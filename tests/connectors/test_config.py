"""connectors.yaml: read, checked key by key, and refused with a clear ConfigError."""

from __future__ import annotations

from pathlib import Path

import pytest

from affidavit.connectors import load_connector_config
from affidavit.connectors.config import MAX_CONFIG_BYTES
from affidavit.errors import ConfigError

SECRET = "yaml-secret-0123456789abcdef"


def _write(tmp_path: Path, text: str | bytes) -> Path:
    path = tmp_path / "connectors.yaml"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def test_a_valid_file(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        f"""
webhook:
  url: https://soar.example/affidavit/actions
  secret: {SECRET}
  timeout_s: 2.5
edr: {{}}
firewall:
""",
    )
    assert load_connector_config(path) == {
        "webhook": {
            "url": "https://soar.example/affidavit/actions",
            "secret": SECRET,
            "timeout_s": 2.5,
        },
        "edr": {},
        "firewall": {},
    }


def test_a_missing_or_empty_file_means_no_settings(tmp_path: Path) -> None:
    assert load_connector_config(tmp_path / "absent.yaml") == {}
    assert load_connector_config(_write(tmp_path, "# nothing configured yet\n")) == {}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("webhook: [unclosed\n", "not valid YAML at line 2, column 1"),
        ("webhook:\n  url: a\n   bad: indent\n", "not valid YAML"),
        ("- webhook\n- edr\n", "must map connector names to their settings, not be a list"),
        ("just a string\n", "not be a str"),
        ("webhok:\n  url: https://x.example\n", "unknown connector 'webhok'"),
        ("1: {}\n", "unknown connector 1"),
        ("edr: [1, 2]\n", "the edr section"),
        ("edr:\n  mode: real\n", "unknown edr setting 'mode'"),
        ("webhook:\n  url: https://x.example\n", "exactly one of secret or secret_env"),
        (f"webhook:\n  secret: {SECRET}\n", "no url"),
        (
            f"webhook:\n  url: https://x.example\n  secret: {SECRET}\n  retry: 3\n",
            "unknown webhook setting 'retry'",
        ),
        (f"webhook:\n  url: gopher://x.example\n  secret: {SECRET}\n", "http or https"),
        ("edr: {}\nedr: {}\n", "given twice"),
        ("webhook: !!python/object/apply:os.system ['true']\n", "not valid YAML"),
    ],
)
def test_bad_files_are_clear_config_errors(tmp_path: Path, text: str, message: str) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(ConfigError, match=message) as caught:
        load_connector_config(path)
    assert SECRET not in str(caught.value)


def test_errors_name_the_file(tmp_path: Path) -> None:
    path = _write(tmp_path, "edr:\n  mode: real\n")
    with pytest.raises(ConfigError, match=str(path)):
        load_connector_config(path)


def test_not_utf8_too_big_or_not_a_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_connector_config(_write(tmp_path, b"edr: {}\n\xff\xfe"))
    with pytest.raises(ConfigError, match="limit"):
        load_connector_config(_write(tmp_path, "#" * (MAX_CONFIG_BYTES + 1)))
    with pytest.raises(ConfigError, match="not a file"):
        load_connector_config(tmp_path)
