"""The compliance report as PDF, with charts drawn by ReportLab's graphics module."""

from __future__ import annotations

import io
from html import escape

from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from affidavit.oversight.charts import STATUS_COLOURS, Chart, report_charts
from affidavit.oversight.report import ComplianceReport

__all__ = ["render_pdf"]

_WIDTH = A4[0] - 36 * mm


def _drawing(chart: Chart) -> Drawing:
    drawing = Drawing(_WIDTH, 190)
    drawing.add(String(0, 176, chart.title, fontName="Helvetica-Bold", fontSize=10))
    if not chart.categories:
        drawing.add(String(_WIDTH / 2, 90, "no data in this window", textAnchor="middle"))
        return drawing
    bars = VerticalBarChart()
    bars.x, bars.y, bars.width, bars.height = 36, 42, int(_WIDTH - 60), 120
    bars.data = [list(values) for _, _, values in chart.series]
    bars.categoryAxis.categoryNames = [c[:20] for c in chart.categories]
    bars.categoryAxis.style = "stacked"
    bars.categoryAxis.labels.fontSize = 7
    bars.categoryAxis.labels.angle = 20 if len(chart.categories) > 6 else 0
    bars.categoryAxis.labels.dy = -6
    bars.valueAxis.valueMin = 0
    bars.valueAxis.labels.fontSize = 7
    bars.barWidth = 12
    for i, (_, colour, _) in enumerate(chart.series):
        bars.bars[i].fillColor = colors.HexColor(colour)
        bars.bars[i].strokeColor = None
    drawing.add(bars)
    legend = Legend()
    legend.x, legend.y = 36, 10
    legend.alignment = "right"
    legend.columnMaximum = 1
    legend.fontSize = 8
    legend.colorNamePairs = [(colors.HexColor(c), n) for n, c, _ in chart.series]
    drawing.add(legend)
    return drawing


def _controls(report: ComplianceReport, styles: dict[str, ParagraphStyle]) -> list[Flowable]:
    small = styles["small"]
    out: list[Flowable] = []
    for framework, results in report.by_framework().items():
        out.append(Paragraph(escape(framework), styles["Heading3"]))
        rows: list[list[Flowable]] = []
        for result in results:
            c = result.control
            lines = [f"<i>{escape(c.rationale)}</i>"]
            for name, e in result.evidence:
                links = ", ".join(f"#{s}" for s in e.entries)
                lines.append(
                    f"<b>{e.status.replace('_', ' ')}</b> {escape(name)}: {escape(e.explanation)}"
                    + (f" (entries {links})" if links else "")
                )
            colour = STATUS_COLOURS[result.status]
            rows.append(
                [
                    Paragraph(f"<b>{escape(c.ref)}</b><br/>{escape(c.title)}", small),
                    Paragraph(
                        f'<font color="{colour}"><b>{result.status.replace("_", " ")}</b></font>',
                        small,
                    ),
                    Paragraph("<br/>".join(lines), small),
                ]
            )
        table = Table(rows, colWidths=[42 * mm, 20 * mm, _WIDTH - 62 * mm], repeatRows=0)
        table.setStyle(
            TableStyle(
                [
                    ("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#bdbdbd")),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ]
            )
        )
        out.append(table)
    return out


def render_pdf(report: ComplianceReport) -> bytes:
    styles = getSampleStyleSheet()
    small = ParagraphStyle("small", parent=styles["BodyText"], fontSize=7.5, leading=9.5)
    heading = styles["Heading3"]
    assert isinstance(heading, ParagraphStyle)
    named = {"small": small, "Heading3": heading}
    window, ledger, summary = report.window, report.ledger, report.summary()
    verified = {True: "verified", False: "FAILED verification", None: "not verified"}
    story: list[Flowable] = [
        Paragraph("Affidavit compliance report", styles["Title"]),
        Paragraph(
            f"Window {escape(str(window['from'] or 'start'))} to "
            f"{escape(str(window['to'] or 'now'))}, as of {escape(window['as_of'])}; "
            f"generated {escape(report.generated_at)}.",
            styles["BodyText"],
        ),
        Paragraph(
            f"Ledger {escape(ledger['origin'])}, {ledger['size']} entries, "
            f"{verified[ledger['verified']]}. Verifier key: {escape(ledger['verifier_key'])}. "
            "Entry links (#n) are sequence numbers; affidavit ledger prove --seq n proves each.",
            small,
        ),
        Paragraph(
            " / ".join(f"{n} {s.replace('_', ' ')}" for s, n in summary.items()),
            styles["Heading2"],
        ),
    ]
    for chart in report_charts(report):
        story += [_drawing(chart), Spacer(1, 4 * mm)]
    story += [Paragraph("Controls", styles["Heading2"]), *_controls(report, named)]
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=16 * mm,
        bottomMargin=16 * mm,
        title="Affidavit compliance report",
        author="Affidavit",
        invariant=1,
    )
    doc.build(story)
    return out.getvalue()
