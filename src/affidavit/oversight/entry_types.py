"""The ledger entry types oversight reads, named once.

The strings are the ``type`` of entries the governance layer, intake and the
ledger append today (``Entry(type=...)``); ``DATASET_EXPORTED`` is appended by
:mod:`affidavit.oversight.dataset`.
"""

from __future__ import annotations

__all__ = [
    "ALERT_INGESTED",
    "APPROVAL_DENIED",
    "APPROVAL_GRANTED",
    "ASSETS_IMPORTED",
    "AUTHORIZATION_ISSUED",
    "BREAKGLASS_INVOKED",
    "BREAKGLASS_REVIEWED",
    "CASE_OPENED",
    "DATASET_EXPORTED",
    "DISPOSITION_RECORDED",
    "EVIDENCE_VIEWED",
    "EXECUTION_FINISHED",
    "EXECUTION_STARTED",
    "IDENTITY_CREATED",
    "IDENTITY_REACTIVATED",
    "IDENTITY_RETIRED",
    "IDENTITY_SUSPENDED",
    "IDENTITY_TOKEN_ROTATED",
    "PAYLOAD_ERASED",
    "POLICY_PUBLISHED",
    "PROPOSAL_CREATED",
    "STEP_RECORDED",
    "TOKEN_REVEALED",
]

ALERT_INGESTED = "alert.ingested"
APPROVAL_DENIED = "approval.denied"
APPROVAL_GRANTED = "approval.granted"
ASSETS_IMPORTED = "assets.imported"
AUTHORIZATION_ISSUED = "authorization.issued"
BREAKGLASS_INVOKED = "breakglass.invoked"
BREAKGLASS_REVIEWED = "breakglass.reviewed"
CASE_OPENED = "case.opened"
DATASET_EXPORTED = "dataset.exported"
DISPOSITION_RECORDED = "disposition.recorded"
EVIDENCE_VIEWED = "evidence.viewed"
EXECUTION_FINISHED = "execution.finished"
EXECUTION_STARTED = "execution.started"
IDENTITY_CREATED = "identity.created"
IDENTITY_REACTIVATED = "identity.reactivated"
IDENTITY_RETIRED = "identity.retired"
IDENTITY_SUSPENDED = "identity.suspended"
IDENTITY_TOKEN_ROTATED = "identity.token_rotated"  # noqa: S105 - an entry type
PAYLOAD_ERASED = "payload.erased"
POLICY_PUBLISHED = "policy.published"
PROPOSAL_CREATED = "proposal.created"
STEP_RECORDED = "step.recorded"
TOKEN_REVEALED = "token.revealed"  # noqa: S105 - an entry type
