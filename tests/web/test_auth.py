"""Sign-in, sessions and CSRF over real HTTP (the browser tests cover the same in Chromium)."""

from __future__ import annotations

from tests.web.conftest import CSRF, Site


def test_a_person_signs_in_and_the_cookie_is_strict(site: Site) -> None:
    c = site.client()
    form = c.get("/console/login")
    csrf = CSRF.search(form.text).group(1)  # type: ignore[union-attr]
    r = c.post(
        "/console/login",
        data={"csrf_token": csrf, "token": site.tokens["approver"], "next": "/console/queue"},
    )
    assert r.status_code == 303
    assert r.headers["location"] == "/console/queue"
    cookie = r.headers["set-cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie or "samesite=strict" in cookie.lower()
    assert site.tokens["approver"] not in cookie  # only a signed session id
    page = c.get("/console/queue")
    assert page.status_code == 200
    assert "alice" in page.text


def test_agent_and_integration_tokens_cannot_sign_in(site: Site) -> None:
    size = site.gov.ledger.size()
    for who in ("agent", "integration"):
        c = site.client()
        csrf = CSRF.search(c.get("/console/login").text).group(1)  # type: ignore[union-attr]
        r = c.post("/console/login", data={"csrf_token": csrf, "token": site.tokens[who]})
        assert r.status_code == 403
        assert "cannot sign in" in r.text
        assert "afd_console" not in r.headers.get("set-cookie", "")
        assert c.get("/console/queue", headers={"accept": "text/html"}).status_code == 303
    assert site.gov.ledger.size() == size


def test_a_wrong_token_is_refused_without_echo(site: Site) -> None:
    c = site.client()
    csrf = CSRF.search(c.get("/console/login").text).group(1)  # type: ignore[union-attr]
    guess = "afd_" + "x" * 43
    r = c.post("/console/login", data={"csrf_token": csrf, "token": guess})
    assert r.status_code == 401
    assert guess not in r.text


def test_login_without_the_form_token_is_forbidden(site: Site) -> None:
    c = site.client()
    c.get("/console/login")
    r = c.post("/console/login", data={"token": site.tokens["approver"]})
    assert r.status_code == 403
    assert "afd_console" not in r.headers.get("set-cookie", "")


def test_every_post_needs_the_session_csrf_token(site: Site) -> None:
    c = site.login("approver")
    pid = site.scenario.proposals["isolate"]
    size = site.gov.ledger.size()
    for path, data in (
        (f"/console/proposals/{pid}/decide", {"verdict": "deny", "rationale": "no"}),
        (f"/console/proposals/{pid}/dispose", {"outcome": "accepted", "reason": "true_positive"}),
        ("/console/logout", {}),
    ):
        assert c.post(path, data=data).status_code == 403, path
        assert c.post(path, data={**data, "csrf_token": "forged"}).status_code == 403, path
    # another session's token is no good either
    other = site.login("approver2")
    r = c.post(
        f"/console/proposals/{pid}/decide",
        data={"verdict": "deny", "rationale": "no", "csrf_token": site.csrf(other)},
    )
    assert r.status_code == 403
    assert site.gov.ledger.size() == size
    assert c.get("/console/queue").status_code == 200  # still signed in


def test_a_cross_site_origin_is_refused_even_with_the_token(site: Site) -> None:
    c = site.login("approver")
    pid = site.scenario.proposals["isolate"]
    r = c.post(
        f"/console/proposals/{pid}/decide",
        data={"verdict": "deny", "rationale": "no", "csrf_token": site.csrf(c)},
        headers={"origin": "https://evil.example"},
    )
    assert r.status_code == 403


def test_logout_ends_the_session(site: Site) -> None:
    c = site.login("approver")
    cookie = c.cookies.get("afd_console")
    r = c.post("/console/logout", data={"csrf_token": site.csrf(c)})
    assert r.status_code == 303
    replay = site.client()
    replay.cookies.set("afd_console", cookie or "", path="/console")
    assert replay.get("/console/queue", headers={"accept": "text/html"}).status_code == 303


def test_suspension_and_rotation_end_sessions_on_the_next_request(site: Site) -> None:
    c = site.login("approver")
    assert c.get("/console/queue").status_code == 200
    site.gov.set_identity_status("alice", "suspended")
    r = c.get("/console/queue", headers={"accept": "text/html"})
    assert r.status_code == 303
    assert r.headers["location"].startswith("/console/login")
    site.gov.set_identity_status("alice", "active")
    assert (
        c.get("/console/queue", headers={"accept": "text/html"}).status_code == 303
    )  # session is gone
    d = site.login("approver2")
    site.gov.rotate_token("carol")
    assert d.get("/console/queue", headers={"accept": "text/html"}).status_code == 303


def test_a_tampered_cookie_is_not_a_session(site: Site) -> None:
    c = site.login("approver")
    value = c.cookies.get("afd_console") or ""
    sid, _, mac = value.rpartition(".")
    forged = site.client()
    forged.cookies.set("afd_console", f"{sid}.{'0' * len(mac)}", path="/console")
    assert forged.get("/console/queue", headers={"accept": "text/html"}).status_code == 303


def test_sessions_expire_when_idle(site: Site) -> None:
    c = site.login("approver")
    site.clock.advance(minutes=31)
    assert c.get("/console/queue", headers={"accept": "text/html"}).status_code == 303


def test_navigation_follows_roles(site: Site) -> None:
    admin = site.login("admin").get("/console/queue").text
    analyst = site.login("analyst").get("/console/queue").text
    assert 'href="/console/identities"' in admin
    assert 'href="/console/identities"' not in analyst
    assert 'href="/console/cases"' in analyst


def test_next_never_leaves_the_console(site: Site) -> None:
    c = site.client()
    csrf = CSRF.search(c.get("/console/login").text).group(1)  # type: ignore[union-attr]
    r = c.post(
        "/console/login",
        data={"csrf_token": csrf, "token": site.tokens["approver"], "next": "//evil.example/x"},
    )
    assert r.headers["location"] == "/console/queue"
