"""The compliance report as one self-contained HTML file: inline CSS and SVG charts,
no script, no external resource."""

from __future__ import annotations

from html import escape

from affidavit.oversight.charts import STATUS_COLOURS, Chart, report_charts
from affidavit.oversight.report import ComplianceReport

__all__ = ["render_html", "svg_chart"]

_W, _H, _LEFT, _BOTTOM, _TOP = 560, 240, 44, 54, 28

_CSS = """
body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:60em;color:#212121}
h1{font-size:1.6em}h2{margin-top:1.6em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;width:100%;margin:.6em 0}
td,th{border:1px solid #ddd;padding:.35em .5em;vertical-align:top;text-align:left}
.pass{color:#2e7d32;font-weight:600}.gap{color:#c62828;font-weight:600}
.not_applicable{color:#757575}.charts{display:flex;flex-wrap:wrap;gap:1em}
code{font-size:.9em}.muted{color:#757575}
"""


def _nice(top: float) -> float:
    if top <= 0:
        return 1.0
    step = 1.0
    while step * 10 < top:
        step *= 10
    for factor in (1, 2, 5, 10):
        if step * factor >= top:
            return step * factor
    return step * 10


def svg_chart(chart: Chart) -> str:
    """Stacked vertical bars with a y axis, category labels and a legend."""
    top = _nice(chart.top)
    plot_w, plot_h = _W - _LEFT - 10, _H - _BOTTOM - _TOP
    n = max(1, len(chart.categories))
    slot = plot_w / n
    bar = min(48.0, slot * 0.7)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_W}" height="{_H}" '
        f'viewBox="0 0 {_W} {_H}" role="img" aria-label="{escape(chart.title)}">',
        f'<text x="{_LEFT}" y="16" font-size="13" font-weight="600">{escape(chart.title)}</text>',
    ]
    for i in range(5):
        value = top * i / 4
        y = _TOP + plot_h - plot_h * i / 4
        out.append(
            f'<line x1="{_LEFT}" x2="{_W - 10}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e0e0e0"/>'
            f'<text x="{_LEFT - 4}" y="{y + 4:.1f}" font-size="10" text-anchor="end">'
            f"{value:g}</text>"
        )
    for i, category in enumerate(chart.categories):
        x = _LEFT + slot * i + (slot - bar) / 2
        base = float(_TOP + plot_h)
        for name, colour, values in chart.series:
            height = plot_h * values[i] / top
            if height > 0:
                base -= height
                out.append(
                    f'<rect x="{x:.1f}" y="{base:.1f}" width="{bar:.1f}" height="{height:.1f}" '
                    f'fill="{colour}"><title>{escape(category)}: {values[i]:g} '
                    f"{escape(name)}</title></rect>"
                )
        label_x = x + bar / 2
        out.append(
            f'<text x="{label_x:.1f}" y="{_TOP + plot_h + 14}" font-size="10" '
            f'text-anchor="middle">{escape(category[:20])}</text>'
        )
    legend_x = float(_LEFT)
    for name, colour, _ in chart.series:
        out.append(
            f'<rect x="{legend_x}" y="{_H - 16}" width="10" height="10" fill="{colour}"/>'
            f'<text x="{legend_x + 14}" y="{_H - 7}" font-size="11">{escape(name)}</text>'
        )
        legend_x += 24 + 7 * len(name)
    if not chart.categories:
        out.append(
            f'<text x="{_W / 2}" y="{_H / 2}" font-size="12" text-anchor="middle" '
            'fill="#757575">no data in this window</text>'
        )
    out.append("</svg>")
    return "".join(out)


def _evidence_rows(report: ComplianceReport) -> list[str]:
    rows = []
    for framework, results in report.by_framework().items():
        rows.append(f'<h3>{escape(framework)}</h3><table><tr><th style="width:12em">control</th>')
        rows.append("<th>status</th><th>evidence</th></tr>")
        for result in results:
            c = result.control
            items = []
            for name, e in result.evidence:
                links = ", ".join(f"<code>#{s}</code>" for s in e.entries)
                items.append(
                    f'<li><span class="{e.status}">{e.status.replace("_", " ")}</span> '
                    f"<code>{escape(name)}</code>: {escape(e.explanation)}"
                    + (f' <span class="muted">entries {links}</span>' if links else "")
                    + "</li>"
                )
            rows.append(
                f"<tr><td><b>{escape(c.ref)}</b><br>{escape(c.title)}</td>"
                f'<td class="{result.status}">{result.status.replace("_", " ")}</td>'
                f"<td><p class=muted>{escape(c.rationale)}</p><ul>{''.join(items)}</ul></td></tr>"
            )
        rows.append("</table>")
    return rows


def render_html(report: ComplianceReport) -> str:
    summary = report.summary()
    window = report.window
    ledger = report.ledger
    verified = {True: "verified", False: "FAILED verification", None: "not verified"}
    parts = [
        '<!doctype html><html lang="en"><head><meta charset="utf-8">',
        "<title>Affidavit compliance report</title>",
        f"<style>{_CSS}</style></head><body>",
        "<h1>Affidavit compliance report</h1>",
        f"<p>Window {escape(str(window['from'] or 'start'))} to "
        f"{escape(str(window['to'] or 'now'))}, as of {escape(window['as_of'])}; generated "
        f"{escape(report.generated_at)}.</p>",
        f"<p>Ledger <code>{escape(ledger['origin'])}</code>, {ledger['size']} entries, "
        f"{verified[ledger['verified']]}. Verifier key: <code>{escape(ledger['verifier_key'])}"
        "</code>. Entry links (#n) are sequence numbers: "
        "<code>affidavit ledger prove --seq n</code> proves each.</p>",
        "<p>"
        + " &middot; ".join(
            f'<span style="color:{STATUS_COLOURS[s]}">{n} {s.replace("_", " ")}</span>'
            for s, n in summary.items()
        )
        + "</p>",
        '<div class="charts">',
        *(svg_chart(c) for c in report_charts(report)),
        "</div><h2>Controls</h2>",
        *_evidence_rows(report),
        "</body></html>",
    ]
    return "\n".join(parts)
