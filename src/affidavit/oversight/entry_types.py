"""The ledger entry types oversight reads, named once.

Each is the ``type`` of an event class: governance's, the ledger's own
(``payload.erased``) and oversight's (``dataset.exported``).
"""

from __future__ import annotations

from affidavit.governance import events as ev
from affidavit.ledger.events import PayloadErased
from affidavit.oversight.events import DatasetExported

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

ALERT_INGESTED = ev.AlertIngested.type
APPROVAL_DENIED = ev.ApprovalDenied.type
APPROVAL_GRANTED = ev.ApprovalGranted.type
ASSETS_IMPORTED = ev.AssetsImported.type
AUTHORIZATION_ISSUED = ev.AuthorizationIssued.type
BREAKGLASS_INVOKED = ev.BreakglassInvoked.type
BREAKGLASS_REVIEWED = ev.BreakglassReviewed.type
CASE_OPENED = ev.CaseOpened.type
DATASET_EXPORTED = DatasetExported.type
DISPOSITION_RECORDED = ev.DispositionRecorded.type
EVIDENCE_VIEWED = ev.EvidenceViewed.type
EXECUTION_FINISHED = ev.ExecutionFinished.type
EXECUTION_STARTED = ev.ExecutionStarted.type
IDENTITY_CREATED = ev.IdentityCreated.type
IDENTITY_REACTIVATED = ev.IdentityReactivated.type
IDENTITY_RETIRED = ev.IdentityRetired.type
IDENTITY_SUSPENDED = ev.IdentitySuspended.type
IDENTITY_TOKEN_ROTATED = ev.TokenRotated.type
PAYLOAD_ERASED = PayloadErased.type
POLICY_PUBLISHED = ev.PolicyPublished.type
PROPOSAL_CREATED = ev.ProposalCreated.type
STEP_RECORDED = ev.StepRecorded.type
TOKEN_REVEALED = ev.TokenRevealed.type
