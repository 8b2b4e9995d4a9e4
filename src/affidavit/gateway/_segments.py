"""Many texts as one step text, and back: how a request's messages pass the data policy.

A step has one prompt, so the gateways join every text of a request (each
message, each text part, each tool-call's arguments) under numbered headers,
have the server treat the whole, and split the treated text back. The text is
treated as it is, never JSON-escaped, so a detector sees what the model would
see (a private key keeps its line breaks). When a treatment changed a header
the split no longer matches and the request is refused: fail closed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from affidavit.errors import PolicyError

__all__ = ["join_segments", "split_segments"]

_HEADER = "----- affidavit segment {n}: {label} -----\n"
_SPLIT = re.compile(r"(?:^|\n\n)----- affidavit segment (\d+): [^\n]* -----\n")


def join_segments(labels: Sequence[str], texts: Sequence[str]) -> str:
    """One text holding every segment under a numbered header (labels say where each came from)."""
    return "\n\n".join(
        _HEADER.format(n=n, label=label) + text
        for n, (label, text) in enumerate(zip(labels, texts, strict=True), start=1)
    )


def split_segments(text: str, count: int) -> list[str]:
    """The ``count`` segments of a joined (and treated) text, in order."""
    if count == 0:
        return []
    parts = _SPLIT.split(text)
    # parts: ["", "1", text1, "2", text2, ...]
    numbers = parts[1::2]
    if parts[0] != "" or numbers != [str(n) for n in range(1, count + 1)]:
        raise PolicyError(
            "the data policy's treatment changed the gateway's segment headers, so the "
            "treated text cannot be put back into the request; it was not sent"
        )
    return parts[2::2]
