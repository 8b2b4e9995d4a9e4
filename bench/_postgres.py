"""PostgreSQL helpers for the benchmarks: scratch schemas and databases, pgbench.

Nothing here touches existing data: every measurement runs in a schema or a
database created for it and dropped afterwards.
"""

from __future__ import annotations

import os
import re
import secrets
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.pool import NullPool


def psycopg_url(url: str) -> URL:
    parsed = make_url(url)
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def _render(url: URL) -> str:
    return url.render_as_string(hide_password=False)


@contextmanager
def scratch_schema(url: str) -> Iterator[str]:
    """A fresh schema; yields a URL whose connections use only it."""
    base = psycopg_url(url)
    schema = f"bench_{secrets.token_hex(5)}"
    admin = create_engine(_render(base), poolclass=NullPool)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        yield _render(base.update_query_dict({"options": f"-csearch_path={schema}"}))
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


def server_version(url: str) -> str:
    engine = create_engine(_render(psycopg_url(url)), poolclass=NullPool)
    with engine.connect() as conn:
        version = str(conn.execute(text("SHOW server_version")).scalar_one())
        sync = str(conn.execute(text("SHOW synchronous_commit")).scalar_one())
    engine.dispose()
    return f"PostgreSQL {version.split()[0]} (synchronous_commit={sync})"


def pgbench_tps(url: str, *, clients: int, threads: int, seconds: int, scale: int) -> float:
    """pgbench's simple-update (-N) TPS on a scratch database of the same server."""
    base = psycopg_url(url)
    name = f"affidavit_pgbench_{secrets.token_hex(4)}"
    admin = create_engine(_render(base), poolclass=NullPool, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    env = dict(os.environ)
    if base.password:
        env["PGPASSWORD"] = str(base.password)
    conn_args = ["-h", base.host or "127.0.0.1", "-p", str(base.port or 5432)]
    if base.username:
        conn_args += ["-U", base.username]
    try:
        subprocess.run(
            ["pgbench", "-i", "-q", "-s", str(scale), *conn_args, name],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
        run = subprocess.run(
            [
                "pgbench",
                "-N",
                "-c",
                str(clients),
                "-j",
                str(threads),
                "-T",
                str(seconds),
                *conn_args,
                name,
            ],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
    finally:
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()
    found = re.search(r"^tps = ([0-9.]+)", run.stdout, re.MULTILINE)
    if found is None:
        raise RuntimeError(f"no tps in pgbench output:\n{run.stdout}")
    return float(found.group(1))
