"""Case timeline and handoff graph, identities, policy, ledger: over real HTTP."""

from __future__ import annotations

import re

from affidavit.policy import default_policy_text
from affidavit.web.dag import layout, svg
from tests.web.conftest import CASE, Site


def test_case_timeline_links_every_entry_and_draws_the_handoffs(site: Site) -> None:
    first = site.gov.record_step(
        site.tokens["agent2"],
        case=CASE,
        model="small",
        model_version="1",
        prompt=b"summarise",
        output=b"summary",
    )
    site.gov.record_step(
        site.tokens["agent"],
        case=CASE,
        model="big",
        model_version="2",
        prompt=b"decide",
        output=b"isolate",
        parents=[first.id],
    )
    c = site.login("analyst")
    text = c.get(f"/console/cases/{CASE}").text
    seqs = [e.seq for e in site.gov.ledger.entries(case=CASE)]
    for seq in seqs:
        assert f'href="/console/ledger/entries/{seq}"' in text
    assert "<svg" in text and "1 handoffs between agents" in text
    assert "responder" in text and "stroke-dasharray" in text
    entry = c.get(f"/console/ledger/entries/{seqs[0]}")
    assert entry.status_code == 200 and "Inclusion proof" in entry.text
    proof = site.gov.ledger.inclusion_proof(seqs[0])
    assert proof.root.hex() in entry.text
    assert c.get("/console/cases/no-such-case").status_code == 404
    assert c.get("/console/cases/%3Cscript%3E").status_code == 400
    assert CASE in c.get("/console/cases").text


def test_dag_layout_puts_children_right_of_parents_and_escapes_labels() -> None:
    steps = [
        {"id": "a", "agent": "x", "model": "m", "model_version": "1", "parents": []},
        {"id": "b", "agent": "<script>", "model": "m", "model_version": "1", "parents": ["a"]},
        {"id": "c", "agent": "x", "model": "m", "model_version": "1", "parents": ["a", "b"]},
    ]
    found = layout(steps)
    assert found.positions["a"][0] < found.positions["b"][0] < found.positions["c"][0]
    assert ("a", "b", True) in found.edges and ("a", "c", False) in found.edges
    drawn = svg(steps)
    assert "<script>" not in drawn and "&lt;script&gt;" in drawn
    assert svg([]) == ""


def test_identities_for_admins_with_suspend_reactivate_rotate(site: Site) -> None:
    assert site.login("analyst").get("/console/identities").status_code == 403
    auditor = site.login("auditor").get("/console/identities").text
    assert "triage" in auditor and "olivia" in auditor and "Suspend" not in auditor
    admin = site.login("admin")
    page = admin.get("/console/identities").text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    dave = site.login("analyst")
    assert (
        admin.post("/console/identities/dave/suspend", data={"csrf_token": csrf}).status_code == 303
    )
    assert site.gov.identity("dave").status == "suspended"
    assert dave.get("/console/queue", headers={"accept": "text/html"}).status_code == 303
    assert (
        admin.post("/console/identities/dave/reactivate", data={"csrf_token": csrf}).status_code
        == 303
    )
    rotated = admin.post("/console/identities/triage/rotate", data={"csrf_token": csrf})
    token = re.search(r"<pre tabindex=\"0\">(afd_[A-Za-z0-9_-]+)</pre>", rotated.text)
    assert token is not None and site.gov.caller(token.group(1)).id == "triage"
    again = admin.post("/console/identities/dave/reactivate", data={"csrf_token": csrf})
    assert again.status_code == 409 and "already active" in again.text
    assert admin.post("/console/identities/dave/delete", data={"csrf_token": csrf}).status_code in (
        400,
        404,
    )


def test_the_identities_page_shows_when_each_live_token_expires(site: Site) -> None:
    expiries = site.gov.token_expiries()
    assert set(expiries) >= {"triage", "dave", "root"}  # every cast member has a token
    auditor = site.login("auditor").get("/console/identities").text
    assert "Token expires" in auditor
    shown = expiries["triage"][:19].replace("T", " ")  # the page's short form
    assert shown in auditor
    site.gov.set_identity_status("dana", "suspended")  # status does not revoke tokens
    site.gov.rotate_token("dana")  # the old token is revoked, a new one is live
    assert "dana" in site.gov.token_expiries()
    site.clock.advance(days=10 * 366)  # far past every token's lifetime
    assert site.gov.token_expiries() == {}


def test_admins_transfer_an_agent_to_a_new_owner(site: Site) -> None:
    admin = site.login("admin")
    page = admin.get("/console/identities").text
    assert 'action="/console/identities/triage/owner"' in page
    csrf = site.csrf(admin, "/console/identities")
    size = site.gov.ledger.size()
    # refused, and nothing written: no CSRF token, an analyst, a non-person, an unknown one
    assert admin.post("/console/identities/triage/owner", data={"owner": "dave"}).status_code == 403
    analyst = site.login("analyst")
    refused = analyst.post(
        "/console/identities/triage/owner",
        data={"owner": "dave", "csrf_token": site.csrf(analyst)},
    )
    assert refused.status_code == 403
    for owner in ("siem", "nobody", "", "x" * 200):
        bad = admin.post(
            "/console/identities/triage/owner", data={"owner": owner, "csrf_token": csrf}
        )
        assert 400 <= bad.status_code < 500, owner
    assert site.gov.identity("triage").owner == "olivia"
    assert site.gov.ledger.size() == size
    moved = admin.post(
        "/console/identities/triage/owner", data={"owner": "carol", "csrf_token": csrf}
    )
    assert moved.status_code == 200 and "triage is now owned by carol" in moved.text
    assert site.gov.identity("triage").owner == "carol"
    [entry] = [e for e in site.gov.ledger.entries(start=size) if "transfer" in e.type]
    assert entry.actor == "human:root"
    assert site.gov.ledger.verify().size == site.gov.ledger.size()


def test_policy_history_diff_and_tests(site: Site) -> None:
    base = default_policy_text()
    site.gov.publish_policy(base, token=site.tokens["admin"])
    changed = base.replace('@expires_after("3600")', '@expires_after("1200")', 1)
    site.gov.publish_policy(changed, token=site.tokens["admin"])
    c = site.login("analyst")
    page = c.get("/console/policy").text
    assert "@expires_after(&#34;1200&#34;)" in page or "1200" in page
    assert 'class="del"' in page and 'class="add"' in page
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    from importlib import resources

    cases = (resources.files("affidavit.policy") / "default_tests.yaml").read_text()
    r = c.post("/console/policy/test", data={"csrf_token": csrf, "cases": cases})
    assert r.status_code == 200 and "passed" in r.text
    bad = c.post("/console/policy/test", data={"csrf_token": csrf, "cases": "- [unclosed"})
    assert bad.status_code == 400


def test_ledger_page_and_verify(site: Site) -> None:
    c = site.login("auditor")
    page = c.get("/console/ledger").text
    assert str(site.gov.ledger.size()) in page
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    r = c.post("/console/ledger/verify", data={"csrf_token": csrf})
    assert r.status_code == 200 and "Verified:" in r.text
    assert c.post("/console/ledger/verify", data={}).status_code == 403
    assert c.get("/console/ledger/entries/999999").status_code == 404


def test_static_assets_are_served_locally(site: Site) -> None:
    c = site.client()
    chart = c.get("/console/static/plotly.min.js")
    assert chart.status_code == 200 and len(chart.content) > 1_000_000
    assert c.get("/console/static/console.css").status_code == 200
    assert c.get("/console/static/..%2Fsettings.py").status_code == 404
    assert c.get("/console/static/missing.js").status_code == 404
