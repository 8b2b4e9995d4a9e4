"""Simulated connectors for the demo: their "remote systems" are tables in Affidavit's database.

Nothing leaves the process: the EDR, identity provider, firewall, mail
gateway, threat intelligence, case and ticketing systems are rows in the
``sim_*`` tables, which the demo and the tests read to see what happened.
Every result says ``"simulated": true``.
"""

from __future__ import annotations

from affidavit.connectors.simulated._base import SimulatedConnector
from affidavit.connectors.simulated.case import SimulatedCase
from affidavit.connectors.simulated.edr import SimulatedEDR
from affidavit.connectors.simulated.email import SimulatedEmail
from affidavit.connectors.simulated.firewall import SimulatedFirewall
from affidavit.connectors.simulated.idp import SimulatedIdP
from affidavit.connectors.simulated.intel import SimulatedIntel
from affidavit.connectors.simulated.ticketing import SimulatedTicketing

__all__ = [
    "SimulatedCase",
    "SimulatedConnector",
    "SimulatedEDR",
    "SimulatedEmail",
    "SimulatedFirewall",
    "SimulatedIdP",
    "SimulatedIntel",
    "SimulatedTicketing",
]
