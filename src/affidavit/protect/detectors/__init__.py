"""The built-in detectors. Each is also registered under the ``affidavit.detectors``
entry-point group; this tuple serves when the package is not installed."""

from __future__ import annotations

from affidavit.protect.detector import Detector
from affidavit.protect.detectors.cloud import AWS, AZURE, GCP
from affidavit.protect.detectors.commandline import COMMAND_LINE
from affidavit.protect.detectors.credentials import ASSIGNMENTS, HTTP_AUTH, URL_CREDENTIALS
from affidavit.protect.detectors.financial import PAYMENT
from affidavit.protect.detectors.keys import JWT, PRIVATE_KEYS
from affidavit.protect.detectors.network import NETWORK
from affidavit.protect.detectors.personal import CONTACT, GOVERNMENT_IDS, IDENTITIES
from affidavit.protect.detectors.tokens import (
    AI_PROVIDERS,
    GITHUB,
    GITLAB,
    PACKAGE_REGISTRIES,
    SENDGRID,
    SLACK,
    STRIPE,
)

__all__ = ["BUILTIN_DETECTORS"]

BUILTIN_DETECTORS: tuple[Detector, ...] = (
    AWS,
    GCP,
    AZURE,
    GITHUB,
    GITLAB,
    SLACK,
    STRIPE,
    SENDGRID,
    PACKAGE_REGISTRIES,
    AI_PROVIDERS,
    PRIVATE_KEYS,
    JWT,
    URL_CREDENTIALS,
    COMMAND_LINE,
    HTTP_AUTH,
    ASSIGNMENTS,
    CONTACT,
    GOVERNMENT_IDS,
    IDENTITIES,
    PAYMENT,
    NETWORK,
)
