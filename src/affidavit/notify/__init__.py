"""Notifications to approvers: a worker that tails the ledger and tells people.

On a request needing approval, on one nearing expiry undecided (escalation to
a second group), on a break-glass and on an overdue break-glass review, it
sends e-mail, Slack, Microsoft Teams or signed webhook messages configured per
approver role in ``AFFIDAVIT_HOME/notify.yaml``. Messages carry ids, action,
tier, target kind and criticality, agent and time left, and a link to the
console; never parameters, rationale or alert text. It runs beside the
decision path (``affidavit notify run``) and never in it.
"""

from affidavit.notify._schema import Delivery
from affidavit.notify.channels import CHANNEL_TYPES, EmailChannel, HttpChannel
from affidavit.notify.config import (
    NOTIFY_FILE,
    DigestPolicy,
    Escalation,
    NotifyConfig,
    RetryPolicy,
    RoleRoute,
    load_notify_config,
    parse_notify_config,
)
from affidavit.notify.events import EVENT_KINDS, Event, pending_event
from affidavit.notify.messages import Notice, build_notice, ping_notice
from affidavit.notify.senders import EVENT_HEADER, DeliveryError, Sender, make_sender
from affidavit.notify.state import STATE_FILE, NotifyState
from affidavit.notify.worker import Notifier, RoundSummary

__all__ = [
    "CHANNEL_TYPES",
    "EVENT_HEADER",
    "EVENT_KINDS",
    "NOTIFY_FILE",
    "STATE_FILE",
    "Delivery",
    "DeliveryError",
    "DigestPolicy",
    "EmailChannel",
    "Escalation",
    "Event",
    "HttpChannel",
    "Notice",
    "Notifier",
    "NotifyConfig",
    "NotifyState",
    "RetryPolicy",
    "RoleRoute",
    "RoundSummary",
    "Sender",
    "build_notice",
    "load_notify_config",
    "make_sender",
    "parse_notify_config",
    "pending_event",
    "ping_notice",
]
