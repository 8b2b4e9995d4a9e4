"""Oversight: reading the ledger back — case replay and evidence packs (later: health, reports)."""

from affidavit.oversight.pack import PackScope, PackSummary, export_pack
from affidavit.oversight.replay import CaseReplay, replay_case

__all__ = ["CaseReplay", "PackScope", "PackSummary", "export_pack", "replay_case"]
