"""Assessment use-cases (seed 001): open an assessment with its sections, record findings per area, build the
photo gallery through the document pipeline, take estimates (totals computed from their lines), accept one, and
derive completion, overall severity and the total-loss recommendation with the figures behind it.

Kept beside services.py (claims' own workflow) so each file stays about one thing; the conventions are the same:
keyword-only arguments, one transaction per use-case, rules checked here, timeline entries on the claim.
"""

from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from apps.accounts.models import User
from apps.accounts.roles import Role
from apps.core.exceptions import Conflict
from apps.documents import inspection
from apps.documents.models import DocType, Document
from apps.documents.services import document_upload

from .models import (
    OPEN_CLAIM_STATUSES,
    Area,
    Assessment,
    AssessmentPhoto,
    AssessmentSection,
    AssessmentStatus,
    Claim,
    ClaimEvent,
    Estimate,
    EstimateLine,
)

CENT = Decimal("0.01")
EDITABLE = {"assessor", "scheduled_for", "inspection_place", "vehicle_value", "summary", "status"}


def _money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _check_actor(assessment_or_claim, actor: User) -> None:
    """Managers and admins work any assessment; an assessor only the claims assigned to them."""
    claim = assessment_or_claim if isinstance(assessment_or_claim, Claim) else assessment_or_claim.claim
    if actor.role in (Role.ADMIN, Role.MANAGER):
        return
    if actor.role == Role.ASSESSOR and claim.assessor_id == actor.pk:
        return
    raise PermissionDenied("Only the claim's assessor or a manager works its assessment.")


def _locked(assessment: Assessment) -> Assessment:
    return (
        Assessment.objects.select_for_update(of=("self",))
        .select_related("claim", "claim__vehicle")
        .get(pk=assessment.pk)
    )


def _log(claim: Claim, action: str, actor: User, note: str = "") -> None:
    ClaimEvent.objects.create(claim=claim, action=action, actor=actor, note=note[:4000], internal=True)


@transaction.atomic
def assessment_create(
    *,
    claim: Claim,
    actor: User,
    assessor: User | None = None,
    scheduled_for=None,
    inspection_place: str = "",
    vehicle_value: Decimal | None = None,
) -> Assessment:
    claim = Claim.objects.select_for_update(of=("self",)).select_related("vehicle").get(pk=claim.pk)
    _check_actor(claim, actor)
    if claim.status not in OPEN_CLAIM_STATUSES:
        raise Conflict(f"The claim is {claim.status}; it cannot be assessed now.")
    if Assessment.objects.filter(claim=claim).exists():
        raise Conflict("This claim already has an assessment.", details={"assessment_id": claim.assessment.pk})
    assessor = assessor or claim.assessor or (actor if actor.role == Role.ASSESSOR else None)
    if assessor is not None and (assessor.role != Role.ASSESSOR or not assessor.is_active):
        raise ValidationError({"assessor_id": ["Must be an active assessor."]})
    if assessor is not None and claim.assessor_id != assessor.pk:
        claim.assessor = assessor
        claim.save(update_fields=["assessor", "updated_at"])
    assessment = Assessment.objects.create(
        claim=claim,
        assessor=assessor,
        scheduled_for=scheduled_for,
        inspection_place=inspection_place.strip(),
        vehicle_value=vehicle_value if vehicle_value is not None else (claim.vehicle.value if claim.vehicle else None),
    )
    AssessmentSection.objects.bulk_create([AssessmentSection(assessment=assessment, area=a) for a in Area.values])
    _log(claim, "Assessment opened", actor, f"Assessor: {assessor.get_full_name() if assessor else 'to be assigned'}")
    return assessment


def _recompute(assessment: Assessment) -> None:
    """Completion, overall severity and the total-loss recommendation, from the sections and the accepted
    estimate. Saved by the caller."""
    sections = list(assessment.sections.all())
    done = sum(1 for s in sections if s.complete)
    assessment.completion_percentage = round(100 * done / len(sections)) if sections else 0
    assessment.overall_severity = max((s.severity for s in sections), default=0)
    accepted = assessment.estimates.filter(accepted=True).first()
    share = Decimal(str(settings.CLAIM_TOTAL_LOSS_SHARE))
    if accepted and assessment.vehicle_value:
        ratio = (accepted.total / assessment.vehicle_value).quantize(Decimal("0.0001"))
        assessment.total_loss_recommendation = accepted.total > assessment.vehicle_value * share
        assessment.total_loss_basis = {
            "repair_total": str(accepted.total),
            "vehicle_value": str(assessment.vehicle_value),
            "threshold_share": str(share),
            "threshold_amount": str(_money(assessment.vehicle_value * share)),
            "repair_to_value": str(ratio),
            "estimate_id": accepted.pk,
        }
    else:
        assessment.total_loss_recommendation = False
        assessment.total_loss_basis = {
            "reason": "No accepted estimate yet." if not accepted else "The vehicle's value is not recorded."
        }


@transaction.atomic
def assessment_update(*, assessment: Assessment, actor: User, **changes) -> Assessment:
    refused = set(changes) - EDITABLE
    if refused:
        raise ValidationError({name: ["Not editable here."] for name in sorted(refused)})
    assessment = _locked(assessment)
    _check_actor(assessment, actor)
    closed = assessment.status in (AssessmentStatus.COMPLETED, AssessmentStatus.CANCELLED)
    reopening = changes.get("status") == AssessmentStatus.IN_PROGRESS
    if closed and not reopening and set(changes) - {"summary"}:
        raise Conflict(f"The assessment is {assessment.status}; reopen it (status in_progress) to change it.")
    assessor = changes.pop("assessor", None)
    if assessor is not None:
        if actor.role not in (Role.ADMIN, Role.MANAGER):
            raise PermissionDenied("Managers assign assessors.")
        if assessor.role != Role.ASSESSOR or not assessor.is_active:
            raise ValidationError({"assessor_id": ["Must be an active assessor."]})
        assessment.assessor = assessor
        Claim.objects.filter(pk=assessment.claim_id).update(assessor=assessor)
    status = changes.pop("status", None)
    for name, value in changes.items():
        setattr(assessment, name, value.strip() if isinstance(value, str) else value)
    if status and status != assessment.status:
        if status == AssessmentStatus.COMPLETED:
            missing = list(assessment.sections.filter(complete=False).values_list("area", flat=True))
            if missing:
                raise ValidationError({"status": [f"Sections not complete: {', '.join(missing)}."]})
            assessment.completed_at = timezone.now()
        elif status == AssessmentStatus.IN_PROGRESS:
            assessment.completed_at = None
        _log(assessment.claim, f"Assessment {status.replace('_', ' ')}", actor)
        assessment.status = status
    _recompute(assessment)
    assessment.save()
    return assessment


@transaction.atomic
def assessment_section_update(
    *, assessment: Assessment, actor: User, area: str, findings=None, severity=None, complete=None
) -> AssessmentSection:
    assessment = _locked(assessment)
    _check_actor(assessment, actor)
    if assessment.status in (AssessmentStatus.COMPLETED, AssessmentStatus.CANCELLED):
        raise Conflict(f"The assessment is {assessment.status}.")
    section = AssessmentSection.objects.select_for_update().get(assessment=assessment, area=area)
    if findings is not None:
        section.findings = findings.strip()
    if severity is not None:
        if not 0 <= severity <= 10:
            raise ValidationError({"severity": ["From 0 to 10."]})
        section.severity = severity
    if complete is not None:
        section.complete = complete
    section.save()
    if assessment.status == AssessmentStatus.SCHEDULED:
        assessment.status = AssessmentStatus.IN_PROGRESS
    _recompute(assessment)
    assessment.save()
    return section


@transaction.atomic
def assessment_photo_add(
    *, assessment: Assessment, actor: User, file, area: str = "", caption: str = "", request=None
) -> AssessmentPhoto:
    assessment = _locked(assessment)
    _check_actor(assessment, actor)
    try:
        sniffed = inspection.sniff(file, filename=file.name)
    except inspection.InspectionError as exc:
        raise ValidationError({"file": [str(exc)]}) from None
    finally:
        file.seek(0)
    if not sniffed.mime_type.startswith("image/"):
        raise ValidationError({"file": [f"A photo is expected (JPEG, PNG, HEIC…), not {sniffed.mime_type}."]})
    document = document_upload(
        file=file,
        uploaded_by=actor,
        customer=assessment.claim.customer,
        entity_type="assessment",
        entity_id=assessment.pk,
        doc_type=DocType.PHOTO,
        visibility=Document.Visibility.INTERNAL,
        request=request,
    )
    last = assessment.photos.aggregate(m=Max("position"))["m"]
    return AssessmentPhoto.objects.create(
        assessment=assessment,
        document=document,
        area=area,
        caption=caption.strip(),
        position=0 if last is None else last + 1,
    )


@transaction.atomic
def assessment_photos_reorder(*, assessment: Assessment, actor: User, order: list[int]) -> list[AssessmentPhoto]:
    assessment = _locked(assessment)
    _check_actor(assessment, actor)
    photos = {p.pk: p for p in assessment.photos.select_for_update()}
    if sorted(order) != sorted(photos):
        raise ValidationError({"order": ["List every photo of this assessment exactly once."]})
    for position, pk in enumerate(order):
        photos[pk].position = position
    AssessmentPhoto.objects.bulk_update(photos.values(), ["position"])
    return [photos[pk] for pk in order]


def _line_amount(line: dict, labour_rate: Decimal) -> Decimal:
    if line["kind"] == EstimateLine.Kind.LABOUR:
        return _money(Decimal(line.get("hours") or 0) * labour_rate)
    return _money(Decimal(line.get("quantity") or 1) * Decimal(line.get("unit_price") or 0))


@transaction.atomic
def estimate_create(
    *,
    assessment: Assessment,
    actor: User,
    source: str,
    lines: list[dict],
    repairer_name: str = "",
    reference: str = "",
    labour_rate: Decimal = Decimal("0"),
    tax_rate: Decimal = Decimal("0.23"),
) -> Estimate:
    """An estimate with its lines: parts (qty × price), labour (hours × the estimate's rate), paint, sundries;
    tax on the subtotal. Every amount in cents, the total the exact sum."""
    assessment = _locked(assessment)
    _check_actor(assessment, actor)
    if not lines:
        raise ValidationError({"lines": ["An estimate needs at least one line."]})
    if source == Estimate.Source.REPAIRER and not repairer_name.strip():
        raise ValidationError({"repairer_name": ["Name the repairer."]})
    if any(line["kind"] == EstimateLine.Kind.LABOUR for line in lines) and labour_rate <= 0:
        raise ValidationError({"labour_rate": ["Labour lines need the hourly rate."]})
    estimate = Estimate.objects.create(
        assessment=assessment,
        source=source,
        repairer_name=repairer_name.strip(),
        reference=reference.strip(),
        labour_rate=labour_rate,
        tax_rate=tax_rate,
        created_by=actor,
    )
    built = [
        EstimateLine(
            estimate=estimate,
            kind=line["kind"],
            description=line["description"],
            quantity=line.get("quantity") or Decimal("1"),
            unit_price=line.get("unit_price") or Decimal("0"),
            hours=line.get("hours") or Decimal("0"),
            area=line.get("area") or "",
            amount=_line_amount(line, labour_rate),
        )
        for line in lines
    ]
    EstimateLine.objects.bulk_create(built)
    totals = {kind: Decimal("0") for kind in EstimateLine.Kind.values}
    for line in built:
        totals[line.kind] += line.amount
    estimate.parts_total, estimate.labour_total = totals["part"], totals["labour"]
    estimate.paint_total, estimate.sundries_total = totals["paint"], totals["sundry"]
    estimate.subtotal = sum(totals.values(), Decimal("0"))
    estimate.tax = _money(estimate.subtotal * tax_rate)
    estimate.total = estimate.subtotal + estimate.tax
    estimate.save()
    _log(assessment.claim, "Estimate added", actor, f"{estimate.get_source_display()} {estimate.total}")
    return estimate


@transaction.atomic
def estimate_accept(*, estimate: Estimate, actor: User) -> Estimate:
    """Accept one estimate (any previously accepted one is released); the total-loss test runs on it, and the
    claim's estimated cost follows it."""
    assessment = _locked(estimate.assessment)
    _check_actor(assessment, actor)
    Estimate.objects.filter(assessment=assessment, accepted=True).exclude(pk=estimate.pk).update(accepted=False)
    Estimate.objects.filter(pk=estimate.pk).update(accepted=True)
    estimate.refresh_from_db()
    _recompute(assessment)
    assessment.save()
    Claim.objects.filter(pk=assessment.claim_id).update(estimated_cost=estimate.total, updated_at=timezone.now())
    verdict = "total loss recommended" if assessment.total_loss_recommendation else "repair"
    _log(assessment.claim, "Estimate accepted", actor, f"{estimate.total} ({verdict})")
    return estimate


def estimates_comparison(assessment: Assessment) -> dict:
    """Side by side: each estimate's totals by kind and its difference from the lowest total."""
    estimates = list(assessment.estimates.all())
    lowest = min((e.total for e in estimates), default=Decimal("0"))
    return {
        "lowest_total": str(lowest),
        "estimates": [
            {
                "id": e.pk,
                "source": e.source,
                "repairer_name": e.repairer_name,
                "parts": str(e.parts_total),
                "labour": str(e.labour_total),
                "paint": str(e.paint_total),
                "sundries": str(e.sundries_total),
                "tax": str(e.tax),
                "total": str(e.total),
                "above_lowest": str(e.total - lowest),
                "accepted": e.accepted,
            }
            for e in estimates
        ],
    }
