"""State tables of the governance layer: the ledger's image.

The ledger is the source of truth; these rows are written only by the
projector (``governance.projection``), in the transaction of the entry that
records each change, and ``affidavit case replay`` / ``db rebuild`` derive the
same rows from ledger entries alone. ``tokens`` is the exception: the
credential store (token hashes are never ledgered). JSON columns hold
canonical JSON text.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, Float, Index, Integer, String, Table, Text

from affidavit.store.schema import metadata

__all__ = [
    "alerts",
    "approvals",
    "asset_aliases",
    "assets",
    "authorizations",
    "breakglass_reviews",
    "cases",
    "dispositions",
    "evidence_items_opened",
    "evidence_views",
    "executions",
    "identities",
    "policy_bundles",
    "proposals",
    "stamp_signals",
    "steps",
    "tokens",
]

identities = Table(
    "identities",
    metadata,
    Column("id", String(128), primary_key=True),
    Column("kind", String(16), nullable=False),  # human | agent | model | integration
    Column("roles", Text, nullable=False),  # JSON list (humans)
    Column("owner", String(128), nullable=True),  # accountable human (non-humans)
    Column("scopes", Text, nullable=False),  # JSON list of action ids (non-humans)
    Column("data_classes", Text, nullable=False),  # JSON list the identity may see
    Column("models", Text, nullable=False),  # JSON list of models it may use
    Column("status", String(16), nullable=False),  # active | suspended | retired
    Column("expires_at", String(32), nullable=True),
    Column("created_at", String(32), nullable=False),
)

tokens = Table(
    "tokens",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("identity_id", String(128), nullable=False, index=True),
    Column("created_at", String(32), nullable=False),
    Column("expires_at", String(32), nullable=False),
    Column("revoked_at", String(32), nullable=True),
)

assets = Table(
    "assets",
    metadata,
    Column("kind", String(32), primary_key=True),
    Column("id", String(256), primary_key=True),
    Column("criticality", String(16), nullable=False),
    Column("environment", String(64), nullable=False),
    Column("owner", String(256), nullable=False),
    Column("tags", Text, nullable=False),
)

asset_aliases = Table(
    "asset_aliases",
    metadata,
    # Other names of an asset (its FQDN, short name, EDR id): a target written with
    # one gets the asset's policy. Explicit ones from the inventory, and the short
    # name of a host known by its FQDN. Not unique: two assets claiming one alias
    # make a target written with it ambiguous (refused).
    Column("kind", String(32), primary_key=True),
    Column("alias", String(256), primary_key=True),
    Column("asset_id", String(256), primary_key=True),
)

policy_bundles = Table(
    "policy_bundles",
    metadata,
    Column("hash", String(64), primary_key=True),
    Column("text", Text, nullable=False),
    Column("published_seq", BigInteger, nullable=False, unique=True),
    Column("published_by", String(128), nullable=False),
)

cases = Table(
    "cases",
    metadata,
    Column("id", String(128), primary_key=True),
    Column("opened_seq", BigInteger, nullable=False),
    Column("opened_by", String(200), nullable=False),
    Column("opened_at", String(32), nullable=False),
)

steps = Table(
    "steps",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("case_id", String(128), nullable=False, index=True),
    Column("agent_id", String(128), nullable=False),
    Column("model", String(128), nullable=False),
    Column("model_version", String(128), nullable=False),
    Column("parents", Text, nullable=False),  # JSON list of step ids
    Column("data_classes", Text, nullable=False),  # JSON list: labels of what it saw/produced
    Column("seq", BigInteger, nullable=False),
)

proposals = Table(
    "proposals",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("case_id", String(128), nullable=False),
    Column("step_id", String(64), nullable=True),
    Column("proposer_id", String(128), nullable=False),
    Column("action", String(64), nullable=False),
    Column("target", String(300), nullable=False),
    Column("params", Text, nullable=False),
    Column("action_hash", String(64), nullable=False),
    Column("confidence", Float, nullable=True),
    Column("rationale", Text, nullable=False),
    Column("evidence", Text, nullable=False),  # JSON list of evidence references
    Column("effect", String(20), nullable=False),
    Column("approvals_required", Integer, nullable=False),
    Column("approver_roles", Text, nullable=False),
    Column("require_evidence_view", Boolean, nullable=False),
    Column("bundle_hash", String(64), nullable=False),
    Column("status", String(20), nullable=False),
    Column("expires_at", String(32), nullable=True),
    Column("created_at", String(32), nullable=False),
    Column("seq", BigInteger, nullable=False),
    # NULL: Affidavit's executor acts; "caller": the proposer acts and reports (a gateway)
    Column("executor", String(16), nullable=True),
)
Index("ix_proposals_case", proposals.c.case_id, proposals.c.seq)
Index("ix_proposals_status", proposals.c.status, proposals.c.seq)

approvals = Table(
    "approvals",
    metadata,
    Column("proposal_id", String(64), primary_key=True),
    Column("approver_id", String(128), primary_key=True),
    Column("verdict", String(8), nullable=False),  # approve | deny
    Column("rationale", Text, nullable=False),
    Column("seq", BigInteger, nullable=False),
)

evidence_views = Table(
    "evidence_views",
    metadata,
    Column("proposal_id", String(64), primary_key=True),
    Column("identity_id", String(128), primary_key=True),
    Column("seq", BigInteger, nullable=False),
)

authorizations = Table(
    "authorizations",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("proposal_id", String(64), nullable=False, unique=True),
    Column("action_hash", String(64), nullable=False),
    Column("bundle_hash", String(64), nullable=False),
    Column("via", String(16), nullable=False),  # policy | approvals | breakglass
    Column("expires_at", String(32), nullable=False),
    Column("consumed_at", String(32), nullable=True),
    Column("seq", BigInteger, nullable=False),
)

executions = Table(
    "executions",
    metadata,
    Column("id", String(64), primary_key=True),  # = authorization id: single use
    Column("proposal_id", String(64), nullable=False, index=True),
    Column("connector", String(64), nullable=False),
    Column("status", String(16), nullable=False),  # running | succeeded | failed
    Column("result", Text, nullable=True),
    Column("started_seq", BigInteger, nullable=False),
    Column("finished_seq", BigInteger, nullable=True),
)

breakglass_reviews = Table(
    "breakglass_reviews",
    metadata,
    Column("proposal_id", String(64), primary_key=True),
    Column("invoked_by", String(128), nullable=False),
    Column("justification", Text, nullable=False),
    Column("due_at", String(32), nullable=False),
    Column("reviewed_by", String(128), nullable=True),
    Column("outcome", String(16), nullable=True),  # upheld | rejected
    Column("rationale", Text, nullable=True),
    Column("seq", BigInteger, nullable=False),
)

dispositions = Table(
    "dispositions",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("proposal_id", String(64), nullable=False, index=True),
    Column("actor_id", String(128), nullable=False),
    Column("outcome", String(16), nullable=False),
    Column("reason", String(32), nullable=False),
    Column("rationale", Text, nullable=False),
    Column("override_proposal_id", String(64), nullable=True),
    Column("evidence_viewed", Text, nullable=False),
    Column("supersedes", BigInteger, nullable=True),  # seq of the disposition it replaces
)

alerts = Table(
    "alerts",
    metadata,
    Column("raw_sha256", String(64), primary_key=True),  # one alert, one entry
    Column("seq", BigInteger, nullable=False),
    Column("case_id", String(128), nullable=False),
)

evidence_items_opened = Table(
    "evidence_items_opened",
    metadata,
    Column("proposal_id", String(64), primary_key=True),
    Column("identity_id", String(128), primary_key=True),
    Column("item", Integer, primary_key=True, autoincrement=False),
    Column("seq", BigInteger, nullable=False),
)
"""Each evidence item a person opened (once per person, proposal and item)."""

stamp_signals = Table(
    "stamp_signals",
    metadata,
    Column("identity_id", String(128), primary_key=True),
    Column("proposal_id", String(64), primary_key=True),
    Column("seq", BigInteger, nullable=False),
)
"""The rubber-stamp signal shown to a person on a proposal (ledgered once per pair)."""
