"""Governance: identities, cases and alerts, steps, proposals, approvals, authority, dispositions."""
