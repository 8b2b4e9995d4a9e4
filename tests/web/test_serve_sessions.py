"""Two real `affidavit serve` processes on one home and database: a session made by one is
known to the other (the default cookie key is derived from the shared vault key), and
sign-out on either ends it on both."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from affidavit.config import load_settings
from affidavit.governance.governor import Governor
from affidavit.governance.identities import Identity
from tests.api.test_serve import _env, serving
from tests.web.conftest import CSRF

HTML = {"accept": "text/html"}


def _sign_in(url: str, token: str) -> httpx.Client:
    c = httpx.Client(base_url=url, timeout=30.0, follow_redirects=False)
    form = c.get("/console/login")
    found = CSRF.search(form.text)
    assert found is not None, form.text
    r = c.post(
        "/console/login",
        data={"csrf_token": found.group(1), "token": token, "next": "/console/queue"},
    )
    assert r.status_code == 303, r.text
    return c


@pytest.mark.slow
def test_two_serve_processes_share_sessions(tmp_path: Path) -> None:
    env = _env(tmp_path / "home")
    with Governor.open(load_settings(env)) as gov:
        token = gov.add_identity(Identity(id="alice", kind="human", roles=("analyst",)))[1]
    with serving(env) as one, serving(env) as two:
        a = _sign_in(one, token)
        b = httpx.Client(base_url=two, timeout=30.0, follow_redirects=False)
        b.cookies.set("afd_console", a.cookies.get("afd_console") or "", path="/console")
        try:
            assert a.get("/console/queue", headers=HTML).status_code == 200
            page = b.get("/console/queue", headers=HTML)
            assert page.status_code == 200
            csrf = CSRF.search(page.text)
            assert csrf is not None
            assert b.post("/console/logout", data={"csrf_token": csrf.group(1)}).status_code == 303
            assert a.get("/console/queue", headers=HTML).status_code == 303
        finally:
            a.close()
            b.close()
