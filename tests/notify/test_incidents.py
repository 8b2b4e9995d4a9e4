"""A rejected break-glass review opens an incident, and the notifier reports it."""

from __future__ import annotations

from affidavit.governance.governor import Governor
from affidavit.notify import Notifier
from tests.governance.conftest import Cast, Clock
from tests.notify._receivers import HttpReceiver
from tests.notify.conftest import MARKER, PLANTED, propose_isolation
from tests.notify.test_worker import _verified


def test_a_rejected_break_glass_review_notifies_approvers_and_their_escalation(
    gov: Governor, cast: Cast, notifier: Notifier, http: HttpReceiver, clock: Clock
) -> None:
    proposal = propose_isolation(gov, cast)
    gov.breakglass(cast.bob, proposal, justification="ransomware spreading")
    notifier.run_once()
    http.received.clear()

    gov.review_breakglass(cast.carol, proposal, upheld=False, rationale=f"{MARKER} no cause")
    summary = notifier.run_once()
    assert summary.problems == []
    [hook] = [_verified(r, clock)["notifications"][0] for r in http.on("/hook")]
    assert (hook["kind"], hook["proposal"]) == ("breakglass_rejected", proposal)
    [card] = http.on("/teams")  # the fallback's escalation group hears of it too
    title = card.json()["attachments"][0]["content"]["body"][0]["text"]
    assert title.startswith("Incident: break-glass rejected on review")
    for received in http.received:
        assert PLANTED not in received.body.decode() and MARKER not in received.body.decode()
