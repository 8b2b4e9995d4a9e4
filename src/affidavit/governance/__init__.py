"""Governance: identities, cases and alerts, steps, proposals, approvals, authority,
dispositions; :class:`~affidavit.governance.governor.Governor` is the one way in."""
