"""Where a server-sent event stream resumes: one rule for the API's ``/v1/events`` and the
console's live queue.

A browser's ``EventSource`` reconnects to the same URL (``?after=`` included) and adds
the id of the last event it received as ``Last-Event-ID``, so that header wins; else
``after`` (where the page or client says it stands); else the ledger's end (from now on).
"""

from __future__ import annotations

from affidavit.errors import InputError

__all__ = ["resume_after"]

_MAX_DIGITS = 18


def resume_after(last_event_id: str | None, after: int | None, size: int) -> int:
    """The ledger sequence to continue after (-1: from the start), never past the end.

    Raises InputError for a ``Last-Event-ID`` that is not a sequence number (the server
    only ever sends those)."""
    if last_event_id is not None:
        if (
            not (last_event_id.isascii() and last_event_id.isdigit())
            or len(last_event_id) > _MAX_DIGITS
        ):
            raise InputError("Last-Event-ID must be a ledger sequence number")
        after = int(last_event_id)
    if after is None:
        return size - 1
    return max(-1, min(after, size - 1))
