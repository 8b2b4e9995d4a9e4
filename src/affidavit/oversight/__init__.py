"""Oversight: reading the ledger back — case replay (later: evidence packs, health, reports)."""

from affidavit.oversight.replay import CaseReplay, replay_case

__all__ = ["CaseReplay", "replay_case"]
