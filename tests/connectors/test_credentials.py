"""Credentials from the environment or a 0600 secrets file; never inline, never echoed."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from affidavit.connectors.credentials import (
    credential_sources,
    read_secrets_file,
    resolve_credentials,
)
from affidavit.errors import ConfigError

PLANTED = "planted-secret-Zq81xWv0-do-not-leak"


def _secrets(tmp_path: Path, text: str, mode: int = 0o600) -> Path:
    path = tmp_path / "secrets.yaml"
    path.write_text(text)
    os.chmod(path, mode)
    return path


def test_env_wins_over_the_file(tmp_path: Path) -> None:
    path = _secrets(tmp_path, f"okta:\n  api_token: from-file-{PLANTED}\n")
    section = {"api_token_env": "OKTA_TOKEN", "secrets_file": str(path)}
    sources = credential_sources(section, ("api_token",), "okta setting")
    values = resolve_credentials(sources, "okta", "okta setting", {"OKTA_TOKEN": PLANTED})
    assert values == {"api_token": PLANTED}


def test_the_file_section_is_the_connectors_own(tmp_path: Path) -> None:
    path = _secrets(
        tmp_path, f"okta:\n  api_token: {PLANTED}\njira:\n  api_token: another-one-123\n"
    )
    sources = credential_sources({"secrets_file": str(path)}, ("api_token",), "okta setting")
    assert resolve_credentials(sources, "okta", "okta setting", {}) == {"api_token": PLANTED}


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660, 0o666])
def test_a_file_others_can_read_is_refused(tmp_path: Path, mode: int) -> None:
    path = _secrets(tmp_path, f"okta:\n  api_token: {PLANTED}\n", mode)
    with pytest.raises(ConfigError, match="chmod 600") as caught:
        read_secrets_file(path)
    assert PLANTED not in caught.value.message


def test_owner_only_modes_are_accepted(tmp_path: Path) -> None:
    path = _secrets(tmp_path, f"okta:\n  api_token: {PLANTED}\n", 0o400)
    assert read_secrets_file(path) == {"okta": {"api_token": PLANTED}}


def test_an_inline_credential_is_refused_without_echoing_it() -> None:
    with pytest.raises(ConfigError, match="must not hold api_token itself") as caught:
        credential_sources({"api_token": PLANTED}, ("api_token",), "okta setting")
    assert PLANTED not in caught.value.message


def test_a_missing_credential_names_where_it_was_looked_for(tmp_path: Path) -> None:
    sources = credential_sources({"api_token_env": "NOPE_TOKEN"}, ("api_token",), "okta setting")
    with pytest.raises(ConfigError, match="environment variable NOPE_TOKEN"):
        resolve_credentials(sources, "okta", "okta setting", {})
    path = _secrets(tmp_path, "jira:\n  api_token: x-1234567\n")
    sources = credential_sources({"secrets_file": str(path)}, ("api_token",), "okta setting")
    with pytest.raises(ConfigError, match="not set in secrets file"):
        resolve_credentials(sources, "okta", "okta setting", {})
    with pytest.raises(ConfigError, match="needs api_token"):
        credential_sources({}, ("api_token",), "okta setting")


@pytest.mark.parametrize(
    "text",
    [
        f"okta: [{PLANTED}]\n",
        f"okta:\n  api_token: [{PLANTED}]\n",
        f"okta:\n  api_token: {PLANTED}\n  : : :\n",
        f"- {PLANTED}\n",
        f"okta:\n  api_token: '{PLANTED}\n",
    ],
)
def test_a_malformed_file_is_refused_without_quoting_it(tmp_path: Path, text: str) -> None:
    path = _secrets(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        read_secrets_file(path)
    assert PLANTED not in caught.value.message


def test_not_a_regular_file_or_missing_or_huge(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        read_secrets_file(tmp_path / "missing.yaml")
    directory = tmp_path / "dir"
    directory.mkdir(mode=0o700)
    with pytest.raises(ConfigError, match="not a regular file"):
        read_secrets_file(directory)
    big = _secrets(tmp_path, "okta:\n  api_token: " + "x" * 70000 + "\n")
    with pytest.raises(ConfigError, match="the limit is"):
        read_secrets_file(big)


def test_a_control_character_in_a_credential_is_refused() -> None:
    sources = credential_sources({"api_token_env": "T"}, ("api_token",), "okta setting")
    with pytest.raises(ConfigError, match="not a printable value") as caught:
        resolve_credentials(sources, "okta", "okta setting", {"T": PLANTED + "\n"})
    assert PLANTED not in caught.value.message
