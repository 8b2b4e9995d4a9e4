"""Credentials for connectors and export sinks: from the environment or a secrets file.

Settings files (``connectors.yaml``, ``export.yaml``) are configuration, often
kept in version control, so they never hold a credential. A setting names
where it lives instead:

* ``<name>_env: VARIABLE`` — the value of an environment variable, or
* ``secrets_file: PATH`` — a YAML file readable by its owner only (mode 0600
  or stricter; anything wider is refused) that maps each connector or sink
  name to its credentials::

      defender:
        client_secret: "..."
      okta:
        api_token: "..."

A credential is never repeated: not in errors, results, the ledger or logs.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from affidavit.errors import ConfigError

__all__ = [
    "MAX_SECRETS_FILE_BYTES",
    "CredentialSource",
    "credential_sources",
    "read_secrets_file",
    "resolve_credentials",
]

MAX_SECRETS_FILE_BYTES = 64 << 10
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,127}")
_MAX_CREDENTIAL_CHARS = 8192


def read_secrets_file(path: Path) -> dict[str, dict[str, str]]:
    """Section name -> {credential name: value} from ``path``; refuse a file others can read."""
    path = Path(path)
    try:
        info = path.stat()
    except OSError as exc:
        raise ConfigError(f"cannot read secrets file {path}: {exc.strerror or exc}.") from None
    if not stat.S_ISREG(info.st_mode):
        raise ConfigError(f"secrets file {path} is not a regular file.")
    if info.st_mode & 0o077:
        raise ConfigError(
            f"secrets file {path} is readable or writable by group or others "
            f"(mode {stat.S_IMODE(info.st_mode):04o}); run chmod 600 on it."
        )
    if info.st_size > MAX_SECRETS_FILE_BYTES:
        raise ConfigError(
            f"secrets file {path} is {info.st_size} bytes; the limit is {MAX_SECRETS_FILE_BYTES}."
        )
    try:
        text = path.read_bytes().decode("utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read secrets file {path}: {exc.strerror or exc}.") from None
    except UnicodeDecodeError:
        raise ConfigError(f"secrets file {path} is not UTF-8 text.") from None
    try:
        parsed = yaml.safe_load(text)
    except (yaml.YAMLError, RecursionError):
        # The parser's message quotes the offending line, which may hold a secret.
        raise ConfigError(f"secrets file {path} is not valid YAML.") from None
    if parsed is None:
        return {}
    if not isinstance(parsed, Mapping):
        raise ConfigError(f"secrets file {path} must map names to sections of credentials.")
    sections: dict[str, dict[str, str]] = {}
    for name, section in parsed.items():
        if not isinstance(name, str) or not isinstance(section, Mapping):
            raise ConfigError(
                f"secrets file {path}: each top-level key names a connector or sink and holds "
                "a mapping of credential names to values."
            )
        values: dict[str, str] = {}
        for key, value in section.items():
            if not isinstance(key, str) or not isinstance(value, str) or not value:
                raise ConfigError(
                    f"secrets file {path}: section {name!r} must map credential names to "
                    "non-empty strings."
                )
            values[key] = value
        sections[name] = values
    return sections


@dataclass(frozen=True)
class CredentialSource:
    """Where one credential comes from: an environment variable or the secrets file."""

    name: str
    env: str | None = None
    file: Path | None = None

    def describe(self) -> str:
        if self.env is not None:
            return f"environment variable {self.env}"
        return f"secrets file {self.file}"


def credential_sources(
    section: Mapping[str, Any], names: tuple[str, ...], owner: str
) -> dict[str, CredentialSource]:
    """Where each credential in ``names`` comes from, as the ``owner`` settings say.

    ``<name>_env`` wins over ``secrets_file``; a credential written inline is refused.
    """
    file_value = section.get("secrets_file")
    secrets_file: Path | None = None
    if file_value is not None:
        if not isinstance(file_value, str) or not file_value:
            raise ConfigError(f"{owner} secrets_file must be a file path.")
        secrets_file = Path(file_value).expanduser()
    sources: dict[str, CredentialSource] = {}
    for name in names:
        if name in section:
            raise ConfigError(
                f"{owner} must not hold {name} itself: name an environment variable with "
                f"{name}_env, or put it in a secrets_file (mode 0600)."
            )
        env = section.get(f"{name}_env")
        if env is not None:
            if not isinstance(env, str) or _ENV_NAME.fullmatch(env) is None:
                raise ConfigError(
                    f"{owner} {name}_env must be the name of an environment variable."
                )
            sources[name] = CredentialSource(name, env=env)
        elif secrets_file is not None:
            sources[name] = CredentialSource(name, file=secrets_file)
        else:
            raise ConfigError(
                f"{owner} needs {name}: set {name}_env to an environment variable, "
                "or secrets_file to a file holding it."
            )
    return sources


def resolve_credentials(
    sources: Mapping[str, CredentialSource],
    section_name: str,
    owner: str,
    environ: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The credential values, read now; ConfigError saying which one is missing, never a value."""
    env = os.environ if environ is None else environ
    files: dict[Path, dict[str, dict[str, str]]] = {}
    values: dict[str, str] = {}
    for name, source in sources.items():
        if source.env is not None:
            value = env.get(source.env)
        else:
            assert source.file is not None
            if source.file not in files:
                files[source.file] = read_secrets_file(source.file)
            value = files[source.file].get(section_name, {}).get(name)
        if not value:
            raise ConfigError(f"{owner} {name} is not set in {source.describe()}.")
        if len(value) > _MAX_CREDENTIAL_CHARS or not value.isprintable():
            raise ConfigError(
                f"{owner} {name} from {source.describe()} is not a printable value of at most "
                f"{_MAX_CREDENTIAL_CHARS} characters."
            )
        values[name] = value
    return values
