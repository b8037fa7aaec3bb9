"""Reads of claims scoped to the asking user."""

from django.db.models import Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404

from apps.accounts.models import User
from apps.accounts.roles import Role
from apps.accounts.selectors import book_agents

from .models import Claim, ClaimCommunication, ClaimEvent, ClaimPayment, ClaimStatus


def claims_visible_to(user: User) -> QuerySet[Claim]:
    """Admins, managers, viewers: all. Agents: claims they handle and claims of customers they service (their
    own and their team's). Assessors: claims they assess. Customers: their own."""
    qs = Claim.objects.select_related("policy", "customer", "handler", "assessor")
    if user.role in (Role.ADMIN, Role.MANAGER, Role.VIEWER):
        return qs
    if user.role == Role.AGENT:
        return qs.filter(Q(handler=user) | Q(customer__agent_id__in=book_agents(user)))
    if user.role == Role.ASSESSOR:
        return qs.filter(assessor=user)
    if user.role == Role.CUSTOMER:
        return qs.filter(customer__user=user)
    return qs.none()


def claim_get_for_user(*, user: User, pk) -> Claim:
    return get_object_or_404(claims_visible_to(user), pk=pk)


def claim_detail_for_user(*, user: User, pk) -> Claim:
    events = ClaimEvent.objects.select_related("actor").order_by("occurred_at", "id")
    if user.role == Role.CUSTOMER:
        events = events.filter(internal=False)
    return get_object_or_404(
        claims_visible_to(user)
        .select_related("vehicle", "duplicate_of")
        .prefetch_related(Prefetch("timeline_events", queryset=events)),
        pk=pk,
    )


def claim_timeline(*, claim: Claim, user: User) -> QuerySet[ClaimEvent]:
    events = claim.timeline_events.select_related("actor").order_by("occurred_at", "id")
    return events.filter(internal=False) if user.role == Role.CUSTOMER else events


def claim_communications(*, claim: Claim) -> QuerySet[ClaimCommunication]:
    return claim.communications.select_related("author").prefetch_related("attachments")


def claim_payments(*, claim: Claim) -> QuerySet[ClaimPayment]:
    return claim.payments.select_related("requested_by", "decided_by")


def claim_document_owner(user: User, pk):
    """Documents registry resolver: (customer, claim id) of a claim the user may see, or 404."""
    claim = claim_get_for_user(user=user, pk=pk)
    return claim.customer, claim.pk


def assessments_visible_to(user: User) -> QuerySet:
    """Assessments of the claims the user sees (assessors: the claims assigned to them); never customers."""
    from .models import Assessment

    qs = Assessment.objects.select_related("claim", "claim__customer", "claim__vehicle", "assessor")
    if user.role == Role.CUSTOMER:
        return qs.none()
    if user.role in (Role.ADMIN, Role.MANAGER, Role.VIEWER):
        return qs
    return qs.filter(claim__in=claims_visible_to(user).values("pk"))


def assessment_get_for_user(*, user: User, pk):
    from .models import AssessmentSection

    sections = Prefetch("sections", queryset=AssessmentSection.objects.order_by("id"))
    return get_object_or_404(assessments_visible_to(user).prefetch_related(sections), pk=pk)


def assessment_photos(assessment):
    return assessment.photos.select_related("document").order_by("position", "id")


def assessment_estimates(assessment):
    return assessment.estimates.prefetch_related("lines").order_by("total", "id")


def assessment_document_owner(user: User, pk):
    assessment = assessment_get_for_user(user=user, pk=pk)
    return assessment.claim.customer, assessment.pk


# Claims that cost a policy its claim-free year: any loss in the term that was reported and not withdrawn or
# rejected — open ones too (points cannot be taken back once awarded). Duplicates are rejected, so not counted.
CLAIM_FREE_IGNORES = (ClaimStatus.WITHDRAWN, ClaimStatus.REJECTED)


def policy_had_claims(policy) -> bool:
    """Hook `loyalty.policy_had_claims` (billing): a counting claim with its incident in the policy's term."""
    return (
        Claim.objects.filter(policy=policy, incident_date__range=(policy.start_date, policy.end_date))
        .exclude(status__in=CLAIM_FREE_IGNORES)
        .exists()
    )
