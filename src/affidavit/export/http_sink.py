"""OCSF events to a SIEM as JSON lines over HTTP: one POST per batch.

``POST <url>`` with ``Content-Type: application/x-ndjson``, one OCSF event per
line, ``Authorization: Bearer <token>`` when a token is configured, and
``Idempotency-Key: <ledger origin>/<first seq>-<last seq>`` so a receiver can
recognise a batch sent again after a lost acknowledgement. Any 2xx answer
acknowledges the batch; anything else (redirects are not followed), a timeout
or a refused connection keeps it in the backlog. ``Retry-After`` on 429 or 503
is honoured by the exporter's backoff.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence

import httpx

from affidavit.export._redact import Redactor
from affidavit.export.config import SinkConfig
from affidavit.export.ocsf import to_ocsf
from affidavit.export.sink import DeliveryError
from affidavit.ledger.entry import StoredEntry

__all__ = ["HttpSink", "ocsf_lines"]

_MAX_ANSWER = 4096


def ocsf_lines(
    entries: Sequence[StoredEntry], origin: str, redactor: Redactor, hostname: str | None = None
) -> list[bytes]:
    """Each entry as one masked OCSF event, one JSON line (ASCII, no spaces)."""
    return [
        json.dumps(
            redactor.json(to_ocsf(e, origin, hostname=hostname)),
            separators=(",", ":"),
            ensure_ascii=True,
        ).encode()
        for e in entries
    ]


class HttpSink:
    def __init__(
        self,
        config: SinkConfig,
        origin: str,
        redactor: Redactor,
        *,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        self.name = config.name
        self.types = config.types
        self._config = config
        self._origin = origin
        self._redactor = redactor
        self._url: str = config.options["url"]
        token = config.secrets(environ).get("token") if config.credentials else None
        self._secrets = [s for s in (token, self._url) if s]
        self._headers = {
            "Content-Type": "application/x-ndjson",
            "User-Agent": "affidavit-export/1",
        }
        if token:
            self._headers["Authorization"] = f"Bearer {token}"
        self._client = httpx.Client(
            timeout=httpx.Timeout(config.timeout_s),
            follow_redirects=False,
            trust_env=False,
            proxy=config.options.get("proxy"),
        )

    def close(self) -> None:
        self._client.close()

    def _scrub(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "<redacted>")
        return text[:300]

    def deliver(self, entries: Sequence[StoredEntry]) -> int:
        if not entries:
            return 0
        lines = ocsf_lines(entries, self._origin, self._redactor)
        headers = dict(self._headers)
        headers["Idempotency-Key"] = f"{self._origin}/{entries[0].seq}-{entries[-1].seq}"
        deadline = time.monotonic() + self._config.timeout_s
        where = f"export sink {self.name}"
        try:
            with self._client.stream(
                "POST", self._url, content=b"\n".join(lines) + b"\n", headers=headers
            ) as answer:
                size = 0
                for chunk in answer.iter_bytes():
                    size += len(chunk)
                    if size > _MAX_ANSWER or time.monotonic() > deadline:
                        break  # the status is all that counts; a long answer is not read
                code = answer.status_code
                retry_after = answer.headers.get("Retry-After", "")
        except httpx.TimeoutException:
            raise DeliveryError(
                f"{where} did not answer within {self._config.timeout_s:g} s."
            ) from None
        except httpx.ConnectError as exc:
            raise DeliveryError(f"could not connect to {where}: {self._scrub(str(exc))}") from None
        except (httpx.HTTPError, OSError) as exc:
            raise DeliveryError(
                f"{where} failed: {type(exc).__name__}: {self._scrub(str(exc))}"
            ) from None
        if 200 <= code < 300:
            return len(lines)
        wait = float(retry_after) if retry_after.strip().isdigit() else None
        hint = " (lower batch_size)" if code == 413 else ""
        raise DeliveryError(f"{where} answered HTTP {code}{hint}.", retry_after_s=wait)
