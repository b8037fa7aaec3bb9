"""Bulk actions on the claims list — assign, escalate, change status — each one service call per claim, behind a
confirmation page that lists what will change and what will be refused (apps.core.admin_bulk)."""

from django import forms
from unfold.widgets import UnfoldAdminSelectWidget, UnfoldAdminTextareaWidget

from apps.accounts.models import User
from apps.accounts.roles import Role
from apps.core.admin_bulk import BulkActionsMixin, BulkChange, BulkForm

from . import services
from .models import ClaimStatus

S = ClaimStatus
# Moves offered in bulk. Approving is not: it needs each claim's own agreed settlement amount.
BULK_STATUSES = [S.TRIAGE, S.ASSESSMENT, S.REJECTED, S.WITHDRAWN, S.SETTLEMENT, S.PAID, S.CLOSED, S.REOPENED]


def _people(*roles: str):
    return User.objects.filter(is_active=True, role__in=roles).order_by("first_name", "last_name")


def _name(user: User | None) -> str:
    return user.get_full_name() if user is not None else "nobody"


class AssignForm(BulkForm):
    handler = forms.ModelChoiceField(
        queryset=User.objects.none(), required=False, label="Handler", widget=UnfoldAdminSelectWidget
    )
    assessor = forms.ModelChoiceField(
        queryset=User.objects.none(), required=False, label="Assessor", widget=UnfoldAdminSelectWidget
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["handler"].queryset = _people(Role.AGENT, Role.MANAGER)
        self.fields["assessor"].queryset = _people(Role.ASSESSOR)

    def clean(self):
        data = super().clean()
        if not data.get("handler") and not data.get("assessor"):
            raise forms.ValidationError("Choose a handler, an assessor, or both.")
        return data


class EscalateForm(BulkForm):
    escalate_to = forms.ModelChoiceField(
        queryset=User.objects.none(),
        label="Escalate to",
        widget=UnfoldAdminSelectWidget,
        help_text="The manager becomes the claims' handler; priority becomes urgent.",
    )
    reason = forms.CharField(label="Why", widget=UnfoldAdminTextareaWidget(attrs={"rows": 2}), max_length=1000)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["escalate_to"].queryset = _people(Role.MANAGER)


class StatusForm(BulkForm):
    to = forms.ChoiceField(
        label="Move to",
        choices=[(s.value, s.label) for s in BULK_STATUSES],
        widget=UnfoldAdminSelectWidget,
        help_text="Approving is done claim by claim (it needs the agreed settlement amount).",
    )
    note = forms.CharField(
        label="Reason",
        required=False,
        max_length=2000,
        widget=UnfoldAdminTextareaWidget(attrs={"rows": 2}),
        help_text="Required to reject or reopen; kept on each claim's timeline.",
    )

    def clean(self):
        data = super().clean()
        move = services.CLAIM_WORKFLOW.transition(data.get("to", ""))
        if move is not None and move.reason_required and not (data.get("note") or "").strip():
            self.add_error("note", move.reason_required)
        return data


def _assign_describe(claim, data) -> str:
    parts = []
    if data.get("handler"):
        parts.append(f"Handler: {_name(claim.handler)} → {_name(data['handler'])}")
    if data.get("assessor"):
        parts.append(f"Assessor: {_name(claim.assessor)} → {_name(data['assessor'])}")
    return "; ".join(parts)


def _assign_noop(claim, data) -> str:
    same_handler = not data.get("handler") or claim.handler_id == data["handler"].pk
    same_assessor = not data.get("assessor") or claim.assessor_id == data["assessor"].pk
    return "Already assigned so." if same_handler and same_assessor else ""


ASSIGN = BulkChange(
    title="Assign claims",
    form_class=AssignForm,
    describe=_assign_describe,
    noop=_assign_noop,
    apply=lambda claim, data, actor: services.claim_assign(
        claim=claim, actor=actor, handler=data.get("handler"), assessor=data.get("assessor")
    ),
    button="Assign",
)
ESCALATE = BulkChange(
    title="Escalate claims",
    form_class=EscalateForm,
    describe=lambda claim, data: (
        f"Handler: {_name(claim.handler)} → {_name(data['escalate_to'])}; priority {claim.priority} → urgent"
    ),
    apply=lambda claim, data, actor: services.claim_escalate(
        claim=claim, actor=actor, escalated_to=data["escalate_to"], reason=data["reason"]
    ),
    button="Escalate",
)
STATUS = BulkChange(
    title="Change claim status",
    form_class=StatusForm,
    describe=lambda claim, data: f"Status: {claim.get_status_display()} → {S(data['to']).label}",
    noop=lambda claim, data: f"Already {claim.get_status_display().lower()}." if claim.status == data["to"] else "",
    apply=lambda claim, data, actor: services.claim_transition(
        claim=claim, actor=actor, to=data["to"], note=data.get("note") or ""
    ),
    button="Move",
)


class ClaimBulkActionsMixin(BulkActionsMixin):
    """`bulk_assign`, `bulk_escalate`, `bulk_status` for the claims list (name them in the admin's `actions`)."""

    bulk_changes = {"assign": ASSIGN, "escalate": ESCALATE, "status": STATUS}
