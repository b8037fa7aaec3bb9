"""Surveys in the back office: the builder (questions as JSON, checked by the same rules as the API, with a preview
of the page the customer sees), publish and close (the services), the results screen with server-rendered charts
(NPS/CSAT over time and by agent, team, product line and channel, feedback categories and sentiment), and the
responses and invitations, read-only (agents: their customers' only)."""

import json

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from unfold.admin import ModelAdmin

from apps.core import errors
from apps.core.admin_utils import ReadOnlyTabularInline

from .. import survey_schema
from ..models import Survey, SurveyInvitation, SurveyResponse, SurveyVersion
from ..selectors import surveys as selectors
from ..services import surveys as services

EXAMPLE = json.dumps(
    [
        {"id": "score", "type": "nps", "text": "How likely are you to recommend us?", "required": True},
        {"id": "why", "type": "text", "text": "What is the main reason for your score?"},
    ],
    indent=2,
)


class SurveyForm(forms.ModelForm):
    questions = forms.JSONField(
        widget=forms.Textarea(attrs={"rows": 18, "style": "font-family: monospace; width: 100%"}),
        help_text="A list of questions: id, type (nps, csat, rating, single_choice, multiple_choice, text), text, "
        "required, options, skip rules. Example: " + EXAMPLE.replace("\n", " "),
    )
    settings = forms.JSONField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "style": "font-family: monospace; width: 100%"}),
        help_text='{"link_valid_days": 30, "intro": "…", "thank_you": "…"}',
    )

    class Meta:
        model = Survey
        fields = ["title", "description", "questions", "settings", "trigger", "expires_at"]

    def clean_questions(self):
        try:
            return survey_schema.questions_check(self.cleaned_data["questions"])
        except ValidationError as exc:
            raise forms.ValidationError(exc.message_dict["questions"]) from exc

    def clean_settings(self):
        try:
            return survey_schema.settings_check(self.cleaned_data.get("settings") or {})
        except ValidationError as exc:
            raise forms.ValidationError(exc.message_dict["settings"]) from exc


class SurveyVersionInline(ReadOnlyTabularInline):
    model = SurveyVersion
    fields = ["number", "kind", "title", "published_at", "published_by"]
    verbose_name_plural = "Published versions (immutable)"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("published_by")


@admin.register(Survey)
class SurveyAdmin(ModelAdmin):
    form = SurveyForm
    list_display = ["title", "kind", "status", "trigger", "version", "response_count", "published_at", "expires_at"]
    list_filter = ["status", "kind", "trigger"]
    list_select_related = ["current_version"]
    search_fields = ["title"]
    readonly_fields = ["kind", "status", "version", "response_count", "published_at", "screens"]
    inlines = [SurveyVersionInline]
    actions = ["publish_selected", "close_selected"]
    list_per_page = 50

    @admin.display(description="Live version")
    def version(self, obj):
        return obj.current_version.number if obj.current_version_id else "—"

    @admin.display(description="Screens")
    def screens(self, obj):
        if not obj.pk:
            return "—"
        return format_html(
            '<a href="{}">Preview</a> · <a href="{}">Results</a>',
            reverse("admin:campaigns_survey_preview", args=[obj.pk]),
            reverse("admin:campaigns_survey_results", args=[obj.pk]),
        )

    def get_queryset(self, request):
        return selectors.surveys_visible_to(request.user)

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        with errors.as_message(request, about=obj):
            if change:
                fields = {name: data[name] for name in form.changed_data if name in data}
                services.survey_update(survey=Survey.objects.get(pk=obj.pk), actor=request.user, **fields)
            else:
                created = services.survey_create(
                    actor=request.user,
                    title=data["title"],
                    description=data.get("description") or "",
                    questions=data["questions"],
                    settings_=data.get("settings") or {},
                    trigger=data.get("trigger") or "",
                    expires_at=data.get("expires_at"),
                )
                obj.pk = created.pk
                obj._state.adding = False

    @admin.action(description="Publish the working copy (a new immutable version)")
    def publish_selected(self, request, queryset):
        if not self.has_change_permission(request):
            raise PermissionDenied
        for survey in queryset:
            with errors.as_message(request, about=survey):
                services.survey_publish(survey=survey, actor=request.user)
                messages.success(request, f"{survey}: published.")

    @admin.action(description="Close (stop collecting answers)")
    def close_selected(self, request, queryset):
        if not self.has_change_permission(request):
            raise PermissionDenied
        for survey in queryset:
            with errors.as_message(request, about=survey):
                services.survey_close(survey=survey, actor=request.user)
                messages.success(request, f"{survey}: closed.")

    def get_urls(self):
        return [
            path("<int:pk>/preview/", self.admin_site.admin_view(self.preview_view), name="campaigns_survey_preview"),
            path("<int:pk>/results/", self.admin_site.admin_view(self.results_view), name="campaigns_survey_results"),
            *super().get_urls(),
        ]

    def preview_view(self, request, pk):
        """The working copy as the customer's page shows it, with the skip rules spelled out."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        survey = get_object_or_404(self.get_queryset(request), pk=pk)
        try:
            questions = survey_schema.questions_check(survey.questions)
        except ValidationError as exc:
            messages.error(request, "; ".join(exc.messages))
            return redirect("admin:campaigns_survey_change", pk)
        rows = []
        for q in questions:
            low, high = survey_schema.SCALES.get(q["type"], (q.get("min", 1), q.get("max", 5)))
            rows.append(
                {
                    **q,
                    "choices": [str(n) for n in range(low, high + 1)]
                    if q["type"] in ("nps", "csat", "rating")
                    else q.get("options", []),
                    "rules": [
                        f"if the answer {r['if']['op'].replace('_', ' ')} {r['if'].get('value', '')} → "
                        + ("end" if r["goto"] == "end" else f"go to {r['goto']}")
                        for r in q.get("skip") or []
                    ],
                }
            )
        context = {
            **self.admin_site.each_context(request),
            "title": f"Preview: {survey.title}",
            "survey": survey,
            "rows": rows,
            "unpublished": services.has_unpublished_changes(survey),
        }
        return TemplateResponse(request, "admin/campaigns/survey_preview.html", context)

    def results_view(self, request, pk):
        """NPS/CSAT and feedback in figures and bars (server-rendered), over what the user may see."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        survey = get_object_or_404(self.get_queryset(request), pk=pk)
        period = request.GET.get("period") if request.GET.get("period") in selectors.PERIODS else "month"
        data = selectors.survey_analytics(user=request.user, survey=survey, period=period)
        metric = "nps" if survey.kind == "nps" else "csat"

        def bars(rows):
            # NPS runs −100…100 (bar from the middle), CSAT 0…100
            out = []
            for row in rows:
                value = row[metric]
                width = 0 if value is None else (abs(value) / 2 if metric == "nps" else value)
                out.append({**row, "value": value, "width": round(width, 1), "negative": (value or 0) < 0})
            return out

        context = {
            **self.admin_site.each_context(request),
            "title": f"Results: {survey.title}",
            "survey": survey,
            "metric": metric,
            "period": period,
            "periods": list(selectors.PERIODS),
            "overall": data["overall"],
            "trend": bars(data["trend"]),
            "groups": [
                ("Agent", bars(data["by_agent"])),
                ("Team", bars(data["by_team"])),
                ("Product line", bars(data["by_product_line"])),
                ("Channel", bars(data["by_channel"])),
            ],
            "categories": data["feedback"]["categories"],
            "sentiment": data["feedback"]["sentiment"],
            "recent": selectors.responses_visible_to(request.user, survey=survey)[:20],
        }
        return TemplateResponse(request, "admin/campaigns/survey_results.html", context)


class _ReadOnly(ModelAdmin):
    list_per_page = 50

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(SurveyResponse)
class SurveyResponseAdmin(_ReadOnly):
    list_display = ["survey", "customer", "score", "score_kind", "agent", "channel", "sentiment_label", "created_at"]
    list_filter = ["survey", "score_kind", "channel", "sentiment_label", "feedback_category"]
    list_select_related = ["survey", "customer", "agent"]
    search_fields = ["customer__last_name", "source"]

    def get_queryset(self, request):
        qs = SurveyResponse.objects.select_related("survey", "customer", "agent")
        if request.user.role == "agent":
            return qs.filter(Q(customer__agent=request.user) | Q(agent=request.user))
        return qs


@admin.register(SurveyInvitation)
class SurveyInvitationAdmin(_ReadOnly):
    list_display = ["survey", "customer", "channel", "status", "refusal_reason", "source", "sent_at", "answered_at"]
    list_filter = ["status", "channel", "survey"]
    list_select_related = ["survey", "customer"]
    search_fields = ["source", "customer__last_name"]
    exclude = ["nonce"]

    def get_queryset(self, request):
        qs = SurveyInvitation.objects.select_related("survey", "customer")
        if request.user.role == "agent":
            return qs.filter(Q(customer__agent=request.user) | Q(agent=request.user))
        return qs
