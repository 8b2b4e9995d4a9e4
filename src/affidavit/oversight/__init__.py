"""Oversight: reading the ledger back — case replay, witnesses (later: evidence packs, health,
reports)."""

from affidavit.oversight.replay import CaseReplay, replay_case
from affidavit.oversight.witness import Witness, WitnessState

__all__ = ["CaseReplay", "Witness", "WitnessState", "replay_case"]
