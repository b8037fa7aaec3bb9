"""Bulk actions on the cases list — assign, escalate, change status — each one service call per case, behind a
confirmation page that lists what will change and what will be refused (apps.core.admin_bulk)."""

from django import forms
from unfold.widgets import UnfoldAdminSelectWidget, UnfoldAdminTextareaWidget

from apps.accounts.models import User
from apps.accounts.roles import Role
from apps.core.admin_bulk import BulkActionsMixin, BulkChange, BulkForm

from . import services
from .models import CaseStatus

# Moves offered in bulk. Renewing is not: it issues the next term at the case's amount, a decision made case by case.
BULK_STATUSES = [CaseStatus.IN_PROGRESS, CaseStatus.NOT_TAKEN, CaseStatus.FAILED, CaseStatus.LAPSED, CaseStatus.NEW]


def _people(*roles: str):
    return User.objects.filter(is_active=True, role__in=roles).order_by("first_name", "last_name")


def _name(user: User | None) -> str:
    return user.get_full_name() if user is not None else "nobody"


class AssignForm(BulkForm):
    assignee = forms.ModelChoiceField(queryset=User.objects.none(), label="Assign to", widget=UnfoldAdminSelectWidget)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = _people(Role.AGENT, Role.MANAGER)


class EscalateForm(BulkForm):
    escalate_to = forms.ModelChoiceField(
        queryset=User.objects.none(), label="Escalate to", widget=UnfoldAdminSelectWidget
    )
    reason = forms.CharField(label="Why", widget=UnfoldAdminTextareaWidget(attrs={"rows": 2}), max_length=1000)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["escalate_to"].queryset = _people(Role.MANAGER, Role.ADMIN)


class StatusForm(BulkForm):
    status = forms.ChoiceField(
        label="New status",
        choices=[(s.value, s.label) for s in BULK_STATUSES],
        widget=UnfoldAdminSelectWidget,
        help_text="Renewing is done case by case (it issues the next term).",
    )


ASSIGN = BulkChange(
    title="Assign cases",
    form_class=AssignForm,
    describe=lambda case, data: f"Assigned: {_name(case.assigned_to)} → {_name(data['assignee'])}",
    noop=lambda case, data: (
        f"Already assigned to {_name(data['assignee'])}." if case.assigned_to_id == data["assignee"].pk else ""
    ),
    apply=lambda case, data, actor: services.renewal_case_assign(case=case, actor=actor, assignee=data["assignee"]),
    button="Assign",
)
ESCALATE = BulkChange(
    title="Escalate cases",
    form_class=EscalateForm,
    describe=lambda case, data: f"Escalated to {_name(data['escalate_to'])}; priority {case.priority} → urgent",
    apply=lambda case, data, actor: services.renewal_case_escalate(
        case=case, actor=actor, escalated_to=data["escalate_to"], reason=data["reason"]
    ),
    button="Escalate",
)
STATUS = BulkChange(
    title="Change case status",
    form_class=StatusForm,
    describe=lambda case, data: f"Status: {case.get_status_display()} → {CaseStatus(data['status']).label}",
    noop=lambda case, data: f"Already {case.get_status_display().lower()}." if case.status == data["status"] else "",
    apply=lambda case, data, actor: services.renewal_case_update(case=case, actor=actor, status=data["status"]),
    button="Change status",
)


class CaseBulkActionsMixin(BulkActionsMixin):
    """`bulk_assign`, `bulk_escalate`, `bulk_status` for the cases list (name them in the admin's `actions`)."""

    bulk_changes = {"assign": ASSIGN, "escalate": ESCALATE, "status": STATUS}
