"""Governance's ledger events: one frozen dataclass per entry type (see affidavit.ledger.events).

Commands check and emit these (``batch.emit(event)``); the projector
(:mod:`affidavit.governance.projection`) turns each into state-table rows, live
and on replay. Importing this package registers every class.
"""

from __future__ import annotations

from affidavit.governance.events._base import actor_id
from affidavit.governance.events.accountability import EVENTS as _ACCOUNTABILITY
from affidavit.governance.events.accountability import (
    CaseHeld,
    CaseReleased,
    ErasureApproved,
    ErasureRequested,
    IdentityOwnerTransferred,
    IncidentOpened,
)
from affidavit.governance.events.admin import (
    AssetsImported,
    IdentityCreated,
    IdentityReactivated,
    IdentityRetired,
    IdentityStatusChanged,
    IdentitySuspended,
    PolicyPublished,
    TokenRotated,
)
from affidavit.governance.events.configuration import ConfigurationPublished
from affidavit.governance.events.evidence import (
    AlertIngested,
    CaseOpened,
    StepPrepared,
    StepRecorded,
    TokenRevealed,
)
from affidavit.governance.events.friction import EvidenceItemOpened, RubberStampSignalled
from affidavit.governance.events.work import (
    ApprovalDenied,
    ApprovalGranted,
    ApprovalRecorded,
    AuthorizationIssued,
    BreakglassInvoked,
    BreakglassReviewed,
    DispositionRecorded,
    EvidenceViewed,
    ExecutionFinished,
    ExecutionStarted,
    ProposalCreated,
    ProposalWithdrawn,
)
from affidavit.ledger.events import Event, register_event

__all__ = [
    "EVENTS",
    "AlertIngested",
    "ApprovalDenied",
    "ApprovalGranted",
    "ApprovalRecorded",
    "AssetsImported",
    "AuthorizationIssued",
    "BreakglassInvoked",
    "BreakglassReviewed",
    "CaseHeld",
    "CaseOpened",
    "CaseReleased",
    "ConfigurationPublished",
    "DispositionRecorded",
    "ErasureApproved",
    "ErasureRequested",
    "EvidenceItemOpened",
    "EvidenceViewed",
    "ExecutionFinished",
    "ExecutionStarted",
    "IdentityCreated",
    "IdentityOwnerTransferred",
    "IdentityReactivated",
    "IdentityRetired",
    "IdentityStatusChanged",
    "IdentitySuspended",
    "IncidentOpened",
    "PolicyPublished",
    "ProposalCreated",
    "ProposalWithdrawn",
    "RubberStampSignalled",
    "StepPrepared",
    "StepRecorded",
    "TokenRevealed",
    "TokenRotated",
    "actor_id",
]

EVENTS: tuple[type[Event], ...] = (
    IdentityCreated,
    IdentitySuspended,
    IdentityReactivated,
    IdentityRetired,
    TokenRotated,
    AssetsImported,
    PolicyPublished,
    CaseOpened,
    AlertIngested,
    StepPrepared,
    StepRecorded,
    TokenRevealed,
    ProposalCreated,
    EvidenceViewed,
    ApprovalGranted,
    ApprovalDenied,
    AuthorizationIssued,
    BreakglassInvoked,
    BreakglassReviewed,
    ExecutionStarted,
    ExecutionFinished,
    DispositionRecorded,
    ProposalWithdrawn,
    EvidenceItemOpened,
    RubberStampSignalled,
    ConfigurationPublished,
)
"""Every governance entry type (the ``affidavit.events`` entry point ``governance``)."""
EVENTS += _ACCOUNTABILITY  # ownership transfers, incidents, legal holds, erasure approvals

for _cls in EVENTS:
    register_event(_cls)
