"""The claim report (PDF, seed 001 "PDF generation for reports"): the claim, its assessment with sections, the
photo gallery, the estimates side by side, payments and the timeline. Built with ReportLab (BSD, pure Python
with C speed-ups; no system libraries), so it renders the same in a worker, a web process or a test.
"""

import io
import logging
from pathlib import Path
from xml.sax.saxutils import escape

from django.utils import timezone
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Image, KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from apps.documents.models import Document

from .models import Assessment, Claim

logger = logging.getLogger("insureops.claims")
_DEJAVU = [
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
    Path("/usr/share/fonts/TTF/DejaVuSans.ttf"),
]
_FONT = "Helvetica"
_FONT_BOLD = "Helvetica-Bold"
for candidate in _DEJAVU:
    if candidate.exists():  # a Unicode font when the system has one (names, addresses, arrows)
        pdfmetrics.registerFont(TTFont("DejaVu", str(candidate)))
        bold = candidate.with_name("DejaVuSans-Bold.ttf")
        pdfmetrics.registerFont(TTFont("DejaVu-Bold", str(bold if bold.exists() else candidate)))
        _FONT, _FONT_BOLD = "DejaVu", "DejaVu-Bold"
        break


def _styles():
    base = getSampleStyleSheet()
    return {
        "title": ParagraphStyle("title", parent=base["Title"], fontName=_FONT_BOLD, fontSize=16),
        "h2": ParagraphStyle("h2", parent=base["Heading2"], fontName=_FONT_BOLD, fontSize=12, spaceBefore=8),
        "body": ParagraphStyle("body", parent=base["BodyText"], fontName=_FONT, fontSize=9, leading=12),
        "small": ParagraphStyle("small", parent=base["BodyText"], fontName=_FONT, fontSize=7.5, leading=9),
    }


def _p(text, style) -> Paragraph:
    return Paragraph(escape(str(text if text not in (None, "") else "—")).replace("\n", "<br/>"), style)


def _table(rows, widths, styles, header=True) -> Table:
    table = Table(
        [[c if isinstance(c, Paragraph) else _p(c, styles["small"]) for c in row] for row in rows],
        colWidths=widths,
        repeatRows=1 if header else 0,
    )
    commands = [
        ("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#cbd5e1")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]
    if header:
        commands.append(("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e2e8f0")))
    table.setStyle(TableStyle(commands))
    return table


def _photo_flowables(assessment: Assessment, styles) -> list:
    photos = assessment.photos.select_related("document").filter(
        document__scan_status=Document.ScanStatus.CLEAN, document__deleted_at__isnull=True
    )
    cells = []
    for photo in photos:
        field = photo.document.thumbnail or photo.document.file
        try:
            with field.open("rb") as handle:
                data = io.BytesIO(handle.read())
            image = Image(data, width=55 * mm, height=40 * mm, kind="proportional")
        except Exception:  # a missing or unreadable file must not stop the report
            logger.warning("Claim report: photo %s could not be read", photo.document_id, exc_info=True)
            continue
        caption = " · ".join(x for x in (photo.get_area_display() if photo.area else "", photo.caption) if x)
        cells.append([image, _p(caption or photo.document.original_name, styles["small"])])
    if not cells:
        return [_p("No photos.", styles["body"])]
    grid = []
    for i in range(0, len(cells), 3):
        row = cells[i : i + 3]
        grid.append([Table([[c[0]], [c[1]]]) for c in row] + [""] * (3 - len(row)))
    return [Table(grid, colWidths=[60 * mm] * 3)]


def claim_report_pdf(claim: Claim) -> bytes:
    claim = (
        Claim.objects.select_related("policy", "customer", "vehicle", "handler", "assessor")
        .prefetch_related("timeline_events__actor", "payments")
        .get(pk=claim.pk)
    )
    styles = _styles()
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=15 * mm,
        bottomMargin=15 * mm,
        title=f"Claim {claim.claim_number}",
        author="InsureOps",
    )
    story = [
        _p(f"Claim {claim.claim_number}", styles["title"]),
        _p(f"Report generated {timezone.localtime():%Y-%m-%d %H:%M}", styles["small"]),
        Spacer(1, 4 * mm),
    ]
    vehicle = claim.vehicle
    facts = [
        ["Status", claim.get_status_display(), "Priority", claim.get_priority_display()],
        [
            "Customer",
            f"{claim.customer.full_name} ({claim.customer.customer_code})",
            "Policy",
            claim.policy.policy_number,
        ],
        [
            "Claim type",
            claim.get_claim_type_display(),
            "Cover",
            f"{claim.coverage_code} (limit {claim.coverage_limit})",
        ],
        ["Incident", f"{claim.incident_date} {claim.incident_time or ''}".strip(), "Place", claim.incident_place],
        [
            "Reported",
            str(claim.reported_date),
            "Vehicle",
            f"{vehicle.registration} {vehicle.make} {vehicle.model}" if vehicle else "—",
        ],
        ["Claimed", f"{claim.claimed_amount} {claim.currency}", "Reserve", f"{claim.reserve_amount} {claim.currency}"],
        ["Settlement", f"{claim.settlement_amount or '—'}", "Paid", f"{claim.paid_amount} {claim.currency}"],
        [
            "Handler",
            claim.handler.get_full_name() if claim.handler else "—",
            "Assessor",
            claim.assessor.get_full_name() if claim.assessor else "—",
        ],
    ]
    story += [_table(facts, [25 * mm, 65 * mm, 25 * mm, 65 * mm], styles, header=False), Spacer(1, 3 * mm)]
    story += [_p("What happened", styles["h2"]), _p(claim.description, styles["body"])]

    assessment = Assessment.objects.filter(claim=claim).prefetch_related("sections", "estimates").first()
    story.append(_p("Assessment", styles["h2"]))
    if assessment is None:
        story.append(_p("Not assessed yet.", styles["body"]))
    else:
        verdict = "Total loss recommended" if assessment.total_loss_recommendation else "Repair"
        basis = assessment.total_loss_basis or {}
        story.append(
            _p(
                f"{assessment.get_status_display()} · {assessment.completion_percentage}% complete · overall severity "
                f"{assessment.overall_severity}/10 · {verdict}"
                + (
                    f" (repair {basis['repair_total']} vs {basis['threshold_share']} × value {basis['vehicle_value']})"
                    if "repair_total" in basis
                    else ""
                ),
                styles["body"],
            )
        )
        rows = [["Area", "Severity", "Complete", "Findings"]]
        rows += [
            [s.get_area_display(), str(s.severity), "yes" if s.complete else "no", s.findings]
            for s in assessment.sections.all()
        ]
        story.append(_table(rows, [40 * mm, 18 * mm, 18 * mm, 104 * mm], styles))
        story += [_p("Photos", styles["h2"]), *_photo_flowables(assessment, styles)]
        estimates = list(assessment.estimates.all())
        story.append(_p("Estimates", styles["h2"]))
        if estimates:
            rows = [["Source", "Parts", "Labour", "Paint", "Sundries", "Tax", "Total", "Accepted"]]
            rows += [
                [
                    e.repairer_name or e.get_source_display(),
                    str(e.parts_total),
                    str(e.labour_total),
                    str(e.paint_total),
                    str(e.sundries_total),
                    str(e.tax),
                    str(e.total),
                    "yes" if e.accepted else "",
                ]
                for e in estimates
            ]
            story.append(_table(rows, [45 * mm] + [19 * mm] * 7, styles))
        else:
            story.append(_p("No estimates.", styles["body"]))

    payments = list(claim.payments.all())
    if payments:
        rows = [["Date", "Payee", "Amount", "Status"]]
        rows += [
            [f"{p.created_at:%Y-%m-%d}", p.payee_name, f"{p.amount} {p.currency}", p.get_status_display()]
            for p in payments
        ]
        story += [_p("Payments", styles["h2"]), _table(rows, [30 * mm, 80 * mm, 35 * mm, 35 * mm], styles)]

    rows = [["When", "What", "Status", "By", "Note"]]
    for event in claim.timeline_events.all():
        move = f"{event.from_status or '·'} → {event.to_status}" if event.to_status else ""
        rows.append(
            [
                f"{timezone.localtime(event.occurred_at):%Y-%m-%d %H:%M}",
                event.action,
                move,
                event.actor.get_full_name() if event.actor else "System",
                event.note,
            ]
        )
    story += [
        KeepTogether([_p("Timeline", styles["h2"])]),
        _table(rows, [28 * mm, 35 * mm, 30 * mm, 30 * mm, 57 * mm], styles),
    ]
    doc.build(story)
    return buffer.getvalue()
