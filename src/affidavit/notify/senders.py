"""Sending a notice: SMTP through smtplib, and HTTPS POSTs for Slack, Teams and webhooks.

A sender raises :class:`DeliveryError` with a short reason when a notice did
not get through: a refused connection, a timeout, a non-2xx answer, an SMTP
refusal. The reason never contains the URL (Slack and Teams put their secret
in it), the password or the webhook secret. Redirects are not followed.
"""

from __future__ import annotations

import json
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Protocol

import httpx

from affidavit.connectors.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign_webhook
from affidavit.errors import AffidavitError
from affidavit.notify.channels import Channel, EmailChannel, HttpChannel
from affidavit.notify.formats import slack_payload, teams_payload, webhook_body
from affidavit.notify.messages import Notice

__all__ = [
    "EVENT_HEADER",
    "DeliveryError",
    "EmailSender",
    "HttpSender",
    "Sender",
    "make_sender",
]

EVENT_HEADER = "X-Affidavit-Event"
_MAX_REASON = 300


class DeliveryError(AffidavitError):
    """A notice did not reach its channel; it stays queued and is retried."""

    code = "delivery_failed"
    exit_code = 1


class Sender(Protocol):
    @property
    def channel(self) -> Channel: ...

    def send(self, notice: Notice) -> None: ...

    def close(self) -> None: ...


def _reason(text: str, *secrets: str | None) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, "<redacted>")
    return text if len(text) <= _MAX_REASON else text[: _MAX_REASON - 3] + "..."


class EmailSender:
    def __init__(self, channel: EmailChannel) -> None:
        self.channel = channel
        cafile = None if channel.ca_file is None else str(channel.ca_file)
        self._tls = ssl.create_default_context(cafile=cafile)

    def _message(self, notice: Notice) -> EmailMessage:
        c = self.channel
        msg = EmailMessage()
        msg["Subject"] = notice.title
        msg["From"] = c.sender
        msg["To"] = ", ".join(c.recipients)
        msg["Date"] = format_datetime(notice.sent_at)
        msg["Message-ID"] = make_msgid(domain=c.sender.rpartition("@")[2])
        msg["X-Affidavit-Notice"] = notice.key
        msg.set_content(notice.text())
        return msg

    def send(self, notice: Notice) -> None:
        c = self.channel
        try:
            if c.security == "tls":
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                    c.host, c.port, timeout=c.timeout_s, context=self._tls
                )
            else:
                smtp = smtplib.SMTP(c.host, c.port, timeout=c.timeout_s)
            with smtp:
                if c.security == "starttls":
                    smtp.starttls(context=self._tls)
                if c.username is not None and c.password is not None:
                    smtp.login(c.username, c.password)
                smtp.send_message(self._message(notice))
        except smtplib.SMTPNotSupportedError:
            raise DeliveryError("the SMTP server does not offer STARTTLS") from None
        except smtplib.SMTPAuthenticationError as exc:
            raise DeliveryError(
                f"the SMTP server refused the login (code {exc.smtp_code})"
            ) from None
        except smtplib.SMTPResponseException as exc:
            raise DeliveryError(
                _reason(f"the SMTP server answered {exc.smtp_code}", c.password)
            ) from None
        except TimeoutError:
            raise DeliveryError(f"the SMTP server timed out after {c.timeout_s:g} s") from None
        except (smtplib.SMTPException, ssl.SSLError, OSError) as exc:
            raise DeliveryError(
                _reason(f"SMTP failed: {type(exc).__name__}: {exc}", c.password, c.username)
            ) from None

    def close(self) -> None:
        pass


class HttpSender:
    def __init__(self, channel: HttpChannel) -> None:
        self.channel = channel
        # One client for the worker's life: TLS context and connections are reused.
        self._client = httpx.Client(
            timeout=httpx.Timeout(channel.timeout_s), follow_redirects=False, trust_env=False
        )

    def _request(self, notice: Notice) -> tuple[bytes, dict[str, str]]:
        c = self.channel
        headers = {"Content-Type": "application/json", "User-Agent": "affidavit-notify/1"}
        if c.type == "slack":
            return json.dumps(slack_payload(notice)).encode(), headers
        if c.type == "teams":
            return json.dumps(teams_payload(notice)).encode(), headers
        assert c.secret is not None
        body = webhook_body(notice)
        timestamp = int(notice.sent_at.timestamp())
        headers.update(
            {
                TIMESTAMP_HEADER: str(timestamp),
                SIGNATURE_HEADER: sign_webhook(c.secret, timestamp, body),
                EVENT_HEADER: notice.kind,
                "Idempotency-Key": notice.key,
            }
        )
        return body, headers

    def send(self, notice: Notice) -> None:
        c = self.channel
        body, headers = self._request(notice)
        try:
            with self._client.stream("POST", c.url, content=body, headers=headers) as response:
                code = response.status_code
        except httpx.TimeoutException:
            raise DeliveryError(f"the receiver timed out after {c.timeout_s:g} s") from None
        except httpx.ConnectError as exc:
            reason = _reason(str(exc) or type(exc).__name__, c.url)
            raise DeliveryError(f"could not connect to the receiver: {reason}") from None
        except (httpx.HTTPError, OSError) as exc:
            raise DeliveryError(_reason(f"{type(exc).__name__}: {exc}", c.url)) from None
        if 300 <= code < 400:
            raise DeliveryError(f"the receiver answered a redirect (HTTP {code}), not followed")
        if not 200 <= code < 300:
            raise DeliveryError(f"the receiver answered HTTP {code}")

    def close(self) -> None:
        self._client.close()


def make_sender(channel: Channel) -> EmailSender | HttpSender:
    if isinstance(channel, EmailChannel):
        return EmailSender(channel)
    return HttpSender(channel)
