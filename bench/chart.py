"""Draw the measured figures against the issues' targets as one SVG bar chart.

    python bench/chart.py            # writes docs/images/benchmarks-vs-targets.svg
    python bench/chart.py --check    # exits 1 when the SVG is not what targets.json gives

Each bar is the share of its target reached (measured / target, or target / measured
when lower is better), capped at 100%; the label gives both figures. Plain SVG, no
plotting library: the chart renders on GitHub and offline alike.
"""

from __future__ import annotations

import argparse
import json
import sys
from html import escape
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "bench" / "targets.json"
OUTPUT = ROOT / "docs" / "images" / "benchmarks-vs-targets.svg"

_ROW, _LABEL_W, _BAR_W, _TOP = 34, 330, 360, 40


def share(result: dict[str, object]) -> float:
    measured, target = float(result["measured"]), float(result["target"])  # type: ignore[arg-type]
    ratio = measured / target if result["higher_is_better"] else target / measured
    return min(ratio, 1.0)


def render(results: list[dict[str, object]]) -> str:
    height = _TOP + _ROW * len(results) + 30
    width = _LABEL_W + _BAR_W + 190
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="13">',
        f'<rect width="{width}" height="{height}" fill="#ffffff"/>',
        '<text x="10" y="22" font-size="15" font-weight="bold">'
        "Share of each target reached (100% = target met)</text>",
    ]
    for i, result in enumerate(results):
        y = _TOP + i * _ROW
        part = share(result)
        colour = "#2e7d32" if part >= 1.0 else "#c62828" if part < 0.5 else "#ef6c00"
        unit = str(result["unit"])
        label = f"{result['measured']}{unit} (target {result['target']}{unit})"
        out += [
            f'<text x="10" y="{y + 17}">{escape(str(result["name"]))}</text>',
            f'<rect x="{_LABEL_W}" y="{y + 4}" width="{_BAR_W}" height="18" fill="#eeeeee"/>',
            f'<rect x="{_LABEL_W}" y="{y + 4}" width="{round(_BAR_W * part, 1)}" height="18" '
            f'fill="{colour}"/>',
            f'<text x="{_LABEL_W + _BAR_W + 8}" y="{y + 17}">{round(part * 100)}%</text>',
            f'<text x="{_LABEL_W + _BAR_W + 50}" y="{y + 17}" fill="#555555" font-size="11">'
            f"{escape(label)}</text>",
        ]
    axis_y = _TOP + _ROW * len(results) + 8
    for tick in (0, 50, 100):
        x = _LABEL_W + _BAR_W * tick / 100
        out.append(f'<text x="{x}" y="{axis_y + 12}" text-anchor="middle">{tick}%</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare instead of writing")
    args = parser.parse_args()
    svg = render(json.loads(SOURCE.read_text())["results"])
    if args.check:
        same = OUTPUT.exists() and OUTPUT.read_text() == svg
        print("up to date" if same else f"{OUTPUT} is stale: run python bench/chart.py")
        return 0 if same else 1
    OUTPUT.write_text(svg)
    print(f"wrote {OUTPUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
