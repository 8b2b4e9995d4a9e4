"""The queue's live stream resumes where the page was rendered: a proposal made between
rendering the queue and connecting the stream still arrives (it was missed before)."""

from __future__ import annotations

import json
import re

import httpx

from tests.web.conftest import CASE, Site

EVENTS = re.compile(r'data-events="([^"]+)"')


def _proposals_seen(c: httpx.Client, url: str, headers: dict[str, str], want: str) -> list[str]:
    """Proposal ids the stream sends until ``want`` arrives (the stream never ends by itself)."""
    seen: list[str] = []
    with c.stream("GET", url, headers=headers, timeout=httpx.Timeout(15.0)) as r:
        assert r.status_code == 200
        for line in r.iter_lines():
            if line.startswith("data: "):
                seen.append(json.loads(line[len("data: ") :])["proposal"])
                if seen[-1] == want:
                    break
    return seen


def _propose(site: Site, target: str) -> str:
    return site.gov.propose(
        site.tokens["agent"], case=CASE, action="isolate_host", target=target, evidence=[]
    ).id


def test_a_proposal_made_while_the_page_loads_reaches_the_stream(site: Site) -> None:
    c = site.login("approver")
    page = c.get("/console/queue")
    found = EVENTS.search(page.text)
    assert found is not None, "the queue names where its event stream starts"
    late = _propose(site, "host:pc-sales-0216")  # after rendering, before connecting
    assert _proposals_seen(c, found.group(1).replace("&amp;", "&"), {}, late) == [late]


def test_a_reconnect_resumes_after_the_last_event_id(site: Site) -> None:
    c = site.login("approver")
    first = _propose(site, "host:pc-sales-0217")
    second = _propose(site, "host:pc-sales-0218")
    seq_of_first = site.gov.proposal_events(after=-1, limit=10_000)
    mark = next(e["seq"] for e in seq_of_first if e["proposal"] == first)
    # Last-Event-ID wins over ``after``: the browser sends it on a reconnect.
    seen = _proposals_seen(c, "/console/events?after=-1", {"Last-Event-ID": str(mark)}, second)
    assert seen == [second]


def test_hostile_positions_are_refused(site: Site) -> None:
    c = site.login("approver")
    assert c.get("/console/events?after=abc").status_code == 400
    assert c.get("/console/events?after=-5").status_code == 400
    assert c.get(f"/console/events?after={2**63}").status_code == 400
    # a Last-Event-ID that is not a sequence number is refused (the server sends only those)
    refused = c.get("/console/events", headers={"Last-Event-ID": "not-a-number"})
    assert refused.status_code == 400
    assert site.gov.ledger.verify().size == site.gov.ledger.size()
