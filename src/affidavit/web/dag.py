"""The agent handoff DAG of a case, laid out in layers and drawn as SVG on the server.

A step's layer is one more than its deepest parent's, so every edge points to
the right; a handoff (an edge between different agents) is drawn dashed and
coloured. Labels are escaped: agent and model names come from callers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from typing import Any

__all__ = ["Layout", "layout", "svg"]

_W, _H, _GAP_X, _GAP_Y, _PAD = 200, 48, 60, 24, 16


@dataclass(frozen=True)
class Layout:
    positions: dict[str, tuple[int, int]]  # step id -> (layer, row)
    edges: list[tuple[str, str, bool]]  # parent, child, handoff


def layout(steps: Sequence[dict[str, Any]]) -> Layout:
    """Steps in recording order (parents are recorded before their children)."""
    layer: dict[str, int] = {}
    agent = {s["id"]: s["agent"] for s in steps}
    edges: list[tuple[str, str, bool]] = []
    for s in steps:
        parents = [p for p in s.get("parents", []) if p in layer]
        layer[s["id"]] = 1 + max((layer[p] for p in parents), default=-1)
        edges += [(p, s["id"], agent[p] != s["agent"]) for p in parents]
    rows: dict[int, int] = {}
    positions = {}
    for s in steps:
        col = layer[s["id"]]
        positions[s["id"]] = (col, rows.get(col, 0))
        rows[col] = rows.get(col, 0) + 1
    return Layout(positions, edges)


def _xy(col: int, row: int) -> tuple[int, int]:
    return _PAD + col * (_W + _GAP_X), _PAD + row * (_H + _GAP_Y)


def svg(steps: Sequence[dict[str, Any]]) -> str:
    """An accessible SVG (role img, a title and a text description); empty without steps."""
    if not steps:
        return ""
    found = layout(steps)
    cols = 1 + max(c for c, _ in found.positions.values())
    rows = 1 + max(r for _, r in found.positions.values())
    width = 2 * _PAD + cols * _W + (cols - 1) * _GAP_X
    height = 2 * _PAD + rows * _H + (rows - 1) * _GAP_Y
    handoffs = sum(1 for *_, h in found.edges if h)
    label = (
        f"{len(steps)} model steps, {len(found.edges)} links, {handoffs} handoffs between agents"
    )
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-labelledby="dag-title">',
        f'<title id="dag-title">Agent handoff graph: {escape(label)}</title>',
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" '
        'fill="#505a66"/></marker></defs>',
    ]
    for parent, child, handoff in found.edges:
        x1, y1 = _xy(*found.positions[parent])
        x2, y2 = _xy(*found.positions[child])
        x1, y1, y2 = x1 + _W, y1 + _H // 2, y2 + _H // 2
        mid = (x1 + x2) // 2
        style = 'stroke="#a86400" stroke-dasharray="6 4"' if handoff else 'stroke="#505a66"'
        out.append(
            f'<path d="M{x1},{y1} C{mid},{y1} {mid},{y2} {x2},{y2}" fill="none" '
            f'stroke-width="2" {style} marker-end="url(#arrow)"/>'
        )
    for s in steps:
        x, y = _xy(*found.positions[s["id"]])
        agent = escape(str(s["agent"]))[:40]
        model = escape(f"{s['model']} {s['model_version']}")[:40]
        out.append(
            f'<g><rect x="{x}" y="{y}" width="{_W}" height="{_H}" rx="6" fill="#ffffff" '
            f'stroke="#0b5cad" stroke-width="1.5"/>'
            f'<text x="{x + 10}" y="{y + 19}" fill="#1b1f24" font-weight="700">{agent}</text>'
            f'<text x="{x + 10}" y="{y + 37}" fill="#505a66">{model}</text></g>'
        )
    out.append("</svg>")
    return "".join(out)
