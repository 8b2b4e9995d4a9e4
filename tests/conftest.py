"""Shared fixtures: a fresh AFFIDAVIT_HOME per test, a database on every backend, the ledger.

Every test built on ``database_url`` (and so on ``settings``, ``ledger`` and the
CLI's ``cli``) runs on SQLite, and again on PostgreSQL when
``AFFIDAVIT_TEST_DATABASE_URL`` names a server, e.g.
``postgresql+psycopg://root@127.0.0.1:5432/test``. Each PostgreSQL test gets a
fresh schema ``t_<random>`` that the URL's ``search_path`` points at, dropped
afterwards; PostgreSQL variants carry the ``postgres`` marker, so CI can check
that they ran (``.ci/run``). With the variable set, an unreachable server is an
error, never a skip.

Tests for one backend only: SQLite-only tests use ``home`` (SQLite in
``AFFIDAVIT_HOME``) and say why; PostgreSQL-only tests use ``postgres_schema``
(marked ``postgres`` too, skipped when no server is configured).

Time: tests never read the wall clock. Every test clock is a :class:`Clock`
(the ``clock`` fixture) starting at :data:`EPOCH`, a fixed moment moved by
``AFFIDAVIT_TEST_CLOCK_SHIFT_DAYS`` days (CI runs the suite a second time ten
years ahead, so nothing can depend on today's date); the CLI runs on it too.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from affidavit.config import Settings, load_settings
from affidavit.ledger.log import Ledger

REPO = Path(__file__).resolve().parents[1]
TEST_DATA = REPO / "tests" / "data"

TEST_DATABASE_URL_ENV = "AFFIDAVIT_TEST_DATABASE_URL"
POSTGRES_URL = os.environ.get(TEST_DATABASE_URL_ENV) or None
BACKENDS = ["sqlite", "postgres"] if POSTGRES_URL else ["sqlite"]

CLOCK_SHIFT_ENV = "AFFIDAVIT_TEST_CLOCK_SHIFT_DAYS"


def _clock_shift() -> timedelta:
    text = os.environ.get(CLOCK_SHIFT_ENV, "").strip()
    try:
        return timedelta(days=float(text or 0))
    except (ValueError, OverflowError):
        raise pytest.UsageError(f"{CLOCK_SHIFT_ENV} must be a number of days") from None


CLOCK_SHIFT = _clock_shift()
EPOCH = datetime(2026, 11, 28, 9, 0, tzinfo=UTC) + CLOCK_SHIFT
"""Where every test clock starts: a fixed moment, shifted by AFFIDAVIT_TEST_CLOCK_SHIFT_DAYS."""


def at(days: int, hour: int = 0, minute: int = 0) -> datetime:
    """Midnight of the epoch's day plus ``days``, at ``hour:minute``: a scripted moment
    that moves with the test clock (a test naming a calendar date fails when shifted)."""
    midnight = EPOCH.replace(hour=0, minute=0, second=0, microsecond=0)
    return midnight + timedelta(days=days, hours=hour, minutes=minute)


def day(days: int) -> str:
    """The date (YYYY-MM-DD) ``days`` after the epoch's day."""
    return at(days).date().isoformat()


class Clock:
    """A clock the test moves by hand: the one clock of every test (see the module doc)."""

    def __init__(self, start: datetime = EPOCH) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


def pytest_report_header() -> str:
    return f"test clock starts at {EPOCH.isoformat()} ({CLOCK_SHIFT_ENV}={CLOCK_SHIFT.days})"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that touches the PostgreSQL server ``postgres``."""
    for item in items:
        callspec = getattr(item, "callspec", None)
        on_postgres = callspec is not None and callspec.params.get("backend") == "postgres"
        if on_postgres or "postgres_admin" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.postgres)


def _psycopg_url(url: str) -> str:
    parsed = make_url(url)
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def schema_url(url: str, schema: str, **server_settings: str) -> str:
    """``url`` with every connection's search_path set to ``schema`` only (and any
    other server settings given, e.g. ``synchronous_commit="off"``)."""
    options = " ".join(
        f"-c{name}={value}" for name, value in {"search_path": schema, **server_settings}.items()
    )
    parsed = make_url(_psycopg_url(url)).update_query_dict({"options": options})
    return parsed.render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def postgres_admin() -> Iterator[Engine]:
    """An engine on the test server's database, for creating and dropping schemas.

    Tests for PostgreSQL alone request it (through ``postgres_schema``) and are
    skipped without a server; CI fails when any ``postgres`` test did not pass.
    """
    if POSTGRES_URL is None:
        pytest.skip(f"{TEST_DATABASE_URL_ENV} is not set")
    engine = create_engine(_psycopg_url(POSTGRES_URL), poolclass=NullPool)
    yield engine
    engine.dispose()


@pytest.fixture
def postgres_schema(postgres_admin: Engine) -> Iterator[str]:
    """A fresh, empty schema; dropped with everything in it afterwards."""
    schema = f"t_{secrets.token_hex(6)}"
    with postgres_admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    yield schema
    with postgres_admin.begin() as conn:
        # A test that leaks an open transaction shows up as an error here, not a hang.
        conn.execute(text("SET LOCAL lock_timeout = '20s'"))
        conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """``sqlite`` always; ``postgres`` too when AFFIDAVIT_TEST_DATABASE_URL is set."""
    return str(request.param)


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    monkeypatch.setenv("AFFIDAVIT_HOME", str(home))
    monkeypatch.delenv("AFFIDAVIT_DATABASE_URL", raising=False)
    return home


@pytest.fixture
def database_url(
    backend: str, home: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> str:
    """The test's empty database; AFFIDAVIT_DATABASE_URL points the CLI and child processes at it."""
    if backend == "sqlite":
        return f"sqlite:///{home / 'affidavit.db'}"
    assert POSTGRES_URL is not None
    url = schema_url(POSTGRES_URL, request.getfixturevalue("postgres_schema"))
    monkeypatch.setenv("AFFIDAVIT_DATABASE_URL", url)
    return url


@pytest.fixture
def settings(home: Path, database_url: str) -> Settings:
    return load_settings(
        {
            "AFFIDAVIT_HOME": str(home),
            "AFFIDAVIT_DATABASE_URL": database_url,
            "AFFIDAVIT_CHECKPOINT_INTERVAL": "0",
        }
    )


@pytest.fixture
def ledger(settings: Settings) -> Iterator[Ledger]:
    with Ledger.open(settings) as opened:
        yield opened


def run_sql(url: str, *statements: str, params: dict[str, object] | None = None) -> list[int]:
    """Run statements in one transaction straight on the database, as an intruder
    with database access would (no Affidavit locks); returns each rowcount.

    Statements are SQLAlchemy ``text()``: ``:name`` is a bind parameter."""
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.begin() as conn:
            return [conn.execute(text(s), params or {}).rowcount for s in statements]
    finally:
        engine.dispose()


# The governance configuration's keys, by the names tests change them with.
CONFIG_KEYS = {
    "auto_execute": ("authorizations", "auto_execute"),
    "authorization_ttl_s": ("authorizations", "ttl_seconds"),
    "owner_may_approve": ("approvals", "owner_may_approve"),
    "breakglass_review_hours": ("breakglass", "review_hours"),
    "token_ttl_days": ("tokens", "ttl_days"),
    "spike_alerts_per_15m": ("alerts", "spike_per_15_minutes"),
    "retention_impact_days": ("retention", "impact_days"),
    "retention_short_days": ("retention", "short_days"),
}


def configuration_text(**changes: object) -> str:
    """A governance configuration (YAML) with ``changes`` (names of CONFIG_KEYS)."""
    import yaml

    document: dict[str, dict[str, object]] = {}
    for name, value in changes.items():
        section, key = CONFIG_KEYS[name]
        document.setdefault(section, {})[key] = value
    return yaml.safe_dump(document, sort_keys=True)


def configure(gov: object, **changes: object) -> str:
    """Publish a configuration with ``changes`` through ``gov`` (a Governor), unless it is
    in force already; its hash."""
    text = configuration_text(**changes)
    current = gov.configuration()  # type: ignore[attr-defined]
    if current.text == text:
        return str(current.hash)
    return gov.publish_configuration(text)  # type: ignore[attr-defined,no-any-return]
