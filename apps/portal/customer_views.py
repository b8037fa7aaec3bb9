"""The customer's own pages: home, policies, claims (file in two steps — what happened, then photos and
documents — and follow them), notifications. Every read goes through the same selectors as the API and every
write through the same services, so the rules (and the audit trail) are the API's."""

from functools import wraps

from django.contrib import messages
from django.db.models import Sum
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from apps.accounts.roles import Role
from apps.billing import selectors as billing_selectors
from apps.billing.arrears import policy_arrears
from apps.billing.models import Instalment, LoyaltyAccount
from apps.claims import selectors as claim_selectors
from apps.claims import services as claim_services
from apps.claims.models import OPEN_CLAIM_STATUSES, ClaimChannel, ClaimStatus
from apps.core import errors
from apps.documents import selectors as document_selectors
from apps.documents.models import Document
from apps.documents.services import document_upload
from apps.notifications import selectors as notification_selectors
from apps.notifications import services as notification_services
from apps.policies.selectors import policies_visible_to

from .forms import ClaimDocumentForm, ClaimForm
from .throttling import rate_limited


def customer_required(view):
    """Signed-in customers only: others are sent to sign in, staff to the back office."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect(f"{reverse('portal:login')}?next={request.get_full_path()}")
        if request.user.role != Role.CUSTOMER:
            return redirect("admin:index")
        return view(request, *args, **kwargs)

    return wrapper


def customer_home(request):
    user = request.user
    policies = list(policies_visible_to(user).filter(status="active").order_by("end_date"))
    claims = list(
        claim_selectors.claims_visible_to(user).filter(status__in=OPEN_CLAIM_STATUSES).order_by("-created_at")[:5]
    )
    # every open instalment of the customer's policies (a lapsed policy's arrears too), overdue ones first
    today = timezone.localdate()  # by date: the overdue run may not have passed since the day changed
    open_instalments = list(billing_selectors.instalments_open_for(user)[:50])
    overdue = [i for i in open_instalments if i.due_date < today]
    due = [i for i in open_instalments if i.due_date >= today][:5]
    arrears_by_policy: dict = {}
    for instalment in overdue:
        arrears_by_policy.setdefault(instalment.policy, []).append(instalment.amount)
    in_arrears = [{"policy": p, "amount": sum(amounts)} for p, amounts in arrears_by_policy.items()]
    loyalty = LoyaltyAccount.objects.filter(customer__user=user).values_list("balance", flat=True).first() or 0
    notifications = notification_selectors.notifications_of(user)
    context = {
        "policies": policies,
        "claims": claims,
        "due": due,
        "due_total": sum((i.amount for i in due), start=0),
        "overdue": overdue,
        "overdue_total": sum((i.amount for i in overdue), start=0),
        "in_arrears": in_arrears,
        "in_arrears_ids": {p.pk for p in arrears_by_policy},
        "loyalty": loyalty,
        "unread": notifications.filter(read_status=False).count(),
        "latest": list(notifications[:5]),
    }
    return render(request, "portal/customer_home.html", context)


@customer_required
def policy_list(request):
    policies = policies_visible_to(request.user).order_by("-start_date")
    return render(request, "portal/policies.html", {"policies": policies})


@customer_required
def policy_detail(request, pk):
    policy = get_object_or_404(policies_visible_to(request.user), pk=pk)
    documents = document_selectors.documents_visible_to(request.user).filter(customer=policy.customer)
    paid = policy.instalments.filter(status=Instalment.Status.PAID).aggregate(t=Sum("amount"))["t"] or 0
    arrears = policy_arrears(policy)
    context = {
        "policy": policy,
        "coverages": policy.coverage_selections,
        "vehicles": policy.vehicles.filter(removed_on__isnull=True),
        "instalments": policy.instalments.order_by("due_date"),
        "paid": paid,
        "arrears": arrears,
        "documents": documents.filter(entity_type="customer").order_by("-created_at")[:20],
    }
    return render(request, "portal/policy_detail.html", context)


@customer_required
def claim_list(request):
    claims = claim_selectors.claims_visible_to(request.user).order_by("-created_at")
    return render(request, "portal/claims.html", {"claims": claims})


@customer_required
@rate_limited("documents")
def claim_new(request):
    """Step 1 of 2: what happened, when and where. Step 2 (the claim page) takes photos and documents."""
    policies = policies_visible_to(request.user).filter(status="active").select_related("product")
    form = ClaimForm(
        request.POST if request.method == "POST" else None,
        policies=policies,
        initial={"policy": request.GET.get("policy")},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        with errors.on_form(form) as outcome:
            claim, created = claim_services.claim_file(
                actor=request.user,
                policy=data["policy"],
                claim_type=data["claim_type"],
                claimed_amount=data["claimed_amount"],
                description=data["description"],
                incident_date=data["incident_date"],
                incident_time=data["incident_time"],
                incident_place=data["incident_place"],
                channel=ClaimChannel.PORTAL,
            )
        if not outcome.failed:
            if created:
                messages.success(request, f"Claim {claim.claim_number} is filed. Add photos and documents below.")
            else:
                messages.info(request, f"This loss is already being handled as claim {claim.claim_number}.")
            return redirect("portal:claim", pk=claim.pk)
    return render(request, "portal/claim_new.html", {"form": form, "has_policies": policies.exists()})


@customer_required
@rate_limited("documents")
def claim_detail(request, pk):
    claim = claim_selectors.claim_detail_for_user(user=request.user, pk=pk)
    documents = document_selectors.documents_visible_to(request.user).filter(entity_type="claim", entity_id=claim.pk)
    form = ClaimDocumentForm(
        request.POST if request.method == "POST" else None, request.FILES if request.method == "POST" else None
    )
    if request.method == "POST" and form.is_valid():
        with errors.on_form(form, "file") as outcome:
            document_upload(
                file=form.cleaned_data["file"],
                uploaded_by=request.user,
                customer=claim.customer,
                entity_type="claim",
                entity_id=claim.pk,
                doc_type=form.cleaned_data["doc_type"],
                visibility=Document.Visibility.CUSTOMER,
                request=request,
            )
        if not outcome.failed:
            messages.success(request, "Thank you — the file is attached to your claim.")
            return redirect("portal:claim", pk=claim.pk)
    context = {
        "claim": claim,
        "timeline": claim.timeline_events.all(),  # the selector leaves out internal entries for customers
        "documents": documents.order_by("-created_at"),
        "form": form,
        "can_withdraw": ClaimStatus.WITHDRAWN in claim_services.CLAIM_WORKFLOW.allowed(request.user, claim),
    }
    return render(request, "portal/claim_detail.html", context)


@customer_required
@require_POST
def claim_withdraw(request, pk):
    claim = claim_selectors.claim_get_for_user(user=request.user, pk=pk)
    with errors.as_message(request) as outcome:
        claim_services.claim_transition(
            claim=claim, actor=request.user, to=ClaimStatus.WITHDRAWN, note=request.POST.get("note", "")[:500]
        )
    if not outcome.failed:
        messages.success(request, f"Claim {claim.claim_number} is withdrawn.")
    return redirect("portal:claim", pk=claim.pk)


@customer_required
def notification_list(request):
    notifications = notification_selectors.notifications_of(request.user)[:100]
    return render(request, "portal/notifications.html", {"notifications": notifications, "now": timezone.now()})


@customer_required
@require_POST
def notifications_mark_read(request):
    notification_services.notification_mark_read(user=request.user)
    return redirect("portal:notifications")
