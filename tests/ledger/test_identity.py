"""Keys bound to the database: the token-hash key file."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from affidavit.config import load_settings
from affidavit.errors import ConfigError
from affidavit.ledger.identity import bind_token_key


def test_token_key_created_once_private_and_checked(home: Path) -> None:
    settings = load_settings()
    key = bind_token_key(settings)
    assert len(key) == 32
    assert stat.S_IMODE(home.stat().st_mode) == 0o700
    assert stat.S_IMODE(settings.token_key_path.stat().st_mode) == 0o600
    assert bind_token_key(settings) == key
    settings.token_key_path.chmod(0o644)
    with pytest.raises(ConfigError, match="chmod 600"):
        bind_token_key(settings)
    settings.token_key_path.chmod(0o600)
    settings.token_key_path.write_text("affidavit-token-key-v1:dG9vIHNob3J0\n")
    with pytest.raises(ConfigError, match="corrupt: not 32 bytes"):
        bind_token_key(settings)
    settings.token_key_path.write_text("something else\n")
    with pytest.raises(ConfigError, match="corrupt: missing header"):
        bind_token_key(settings)
