"""The campaign builder and its live screens: the form is the builder (audience, content, variants, schedule,
budget), validated by the same services as the API; the change page shows the audience preview, live send
progress (polled) and the analytics with simple server-rendered bars; actions send, pause, resume and cancel; on the
change page, "Choose the A/B winner…" (the API's POST /campaigns/{id}/winner: the same service, its refusals shown
as messages)."""

import json

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, HttpResponseRedirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from unfold.admin import ModelAdmin
from unfold.decorators import action

from apps.core import errors
from apps.core.admin_utils import ReadOnlyTabularInline

from ..models import Campaign, CampaignChannel, CampaignStatus, CampaignVariant, RecipientGroup, Suppression
from ..selectors.analytics import campaign_analytics, variant_figures
from ..services import campaigns as services
from ..services.audience import audience_validate
from ..services.content import VARIABLES, content_validate
from ..services.sending import campaign_progress
from ..services.winners import METRIC_KEY, campaign_winner_set

BUILDER_FIELDS = [
    "name",
    "description",
    "type",
    "channels",
    "purpose",
    "target_audience",
    "content",
    "variants_json",
    "schedule_type",
    "scheduled_at",
    "budget",
    "goal_metric",
    "attribution_days",
    "test_percent",
    "test_window_hours",
    "holdout_percent",
    "survey",
]


class CampaignBuilderForm(forms.ModelForm):
    channels = forms.MultipleChoiceField(choices=CampaignChannel.choices, widget=forms.CheckboxSelectMultiple)
    variants_json = forms.JSONField(
        required=False,
        label="A/B variants",
        help_text='Optional: [{"code": "A", "weight": 50, "content": {"subject": "…"}}, {"code": "B", …}]. '
        "Each variant's content overrides the campaign's.",
    )

    class Meta:
        model = Campaign
        fields = [f for f in BUILDER_FIELDS if f != "variants_json"]
        help_texts = {
            "content": '{"subject": …, "body": …} with variables: ' + ", ".join(f"{{{{ {v} }}}}" for v in VARIABLES),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "survey" in self.fields:  # a campaign carries a published survey only (each recipient gets a link)
            from ..models import Survey, SurveyStatus

            self.fields["survey"].queryset = Survey.objects.filter(status=SurveyStatus.PUBLISHED).order_by("title")
        if self.instance.pk and not self.initial.get("variants_json"):
            variants = list(self.instance.variants.order_by("code"))
            if len(variants) > 1:
                self.initial["variants_json"] = [
                    {"code": v.code, "name": v.name, "weight": v.weight, "content": v.content} for v in variants
                ]

    def clean_content(self):
        with errors.as_form_error():
            return content_validate(
                self.cleaned_data.get("content") or {}, channel_kinds=self.cleaned_data.get("channels") or []
            )

    def clean_target_audience(self):
        with errors.as_form_error():
            return audience_validate(self.cleaned_data.get("target_audience"))


class WinnerForm(forms.Form):
    """The manager's override of an A/B test: which variant goes to the rest of the audience, and why."""

    code = forms.ChoiceField(label="Winning variant", widget=forms.RadioSelect)
    reason = forms.CharField(
        label="Why",
        required=False,
        max_length=200,
        help_text="Kept with the winner (e.g. a legal change to one wording).",
    )

    def __init__(self, *args, variants: list[CampaignVariant], **kwargs):
        super().__init__(*args, **kwargs)
        choices = [(v.code, f"{v.code} — {v.name}" if v.name else v.code) for v in variants]
        self.fields["code"].choices = choices  # type: ignore[attr-defined]


@admin.register(Campaign)
class CampaignAdmin(ModelAdmin):
    form = CampaignBuilderForm
    list_display = ["name", "type", "status", "progress", "scheduled_at", "started_at", "winner_code", "created_by"]
    list_filter = ["status", "type", "purpose"]
    search_fields = ["name"]
    list_select_related = ["winner", "created_by"]
    list_per_page = 50
    actions = ["send", "pause", "resume", "cancel"]
    actions_detail = ["choose_winner"]
    readonly_fields = ["status", "audience_preview", "live_progress", "analytics_panel", "winner_reason"]

    def get_fieldsets(self, request, obj=None):
        builder = [(None, {"fields": BUILDER_FIELDS})]
        if obj is None:
            return builder
        return [
            ("Status", {"fields": ["status", "live_progress", "winner_reason"]}),
            ("Audience now", {"fields": ["audience_preview"]}),
            *builder,
            ("Results", {"fields": ["analytics_panel"]}),
        ]

    def get_readonly_fields(self, request, obj=None):
        fields = list(self.readonly_fields)
        if obj is not None and obj.status not in services.EDITABLE:
            fields += [f for f in BUILDER_FIELDS if f != "variants_json"]
        return fields

    def has_change_permission(self, request, obj=None):
        # A sending or sent campaign is read-only here (its recipients have it): no save buttons, no form to post.
        if obj is not None and obj.status not in services.EDITABLE:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.started_at is not None:
            return False  # only a campaign that never sent can be deleted (cancel it instead)
        return super().has_delete_permission(request, obj)

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is not None and obj.status not in services.EDITABLE:
            kwargs["fields"] = []
        return super().get_form(request, obj, change=change, **kwargs)

    def save_model(self, request, obj, form, change):
        data = {k: form.cleaned_data[k] for k in BUILDER_FIELDS if k in form.cleaned_data and k != "variants_json"}
        variants = form.cleaned_data.get("variants_json") or None
        if change:
            campaign = services.campaign_update(
                campaign=Campaign.objects.get(pk=obj.pk), actor=request.user, variants=variants, **data
            )
        else:
            campaign = services.campaign_create(actor=request.user, variants=variants, **data)
        obj.pk = campaign.pk
        obj.__dict__.update({k: v for k, v in campaign.__dict__.items() if not k.startswith("_")})

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        # A refused save (an unknown variable, a past schedule…) is shown on the form, not a 500.
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except errors.SERVICE_ERRORS as exc:
            self.message_user(request, errors.service_error_message(exc), level="error")
            from django.http import HttpResponseRedirect

            return HttpResponseRedirect(request.get_full_path())

    @admin.display(description="Progress")
    def progress(self, obj):
        metrics = obj.metrics or {}
        if "percent" not in metrics:
            return "—"
        return f"{metrics['percent']} % of {metrics.get('recipients', 0)}"

    @admin.display(description="Winner")
    def winner_code(self, obj):
        return obj.winner.code if obj.winner_id else ""

    @admin.display(description="Audience")
    def audience_preview(self, obj):
        preview = services.campaign_preview(campaign=obj) if obj.status in services.EDITABLE else None
        return render_to_string("admin/campaigns/_audience.html", {"preview": preview, "campaign": obj})

    @admin.display(description="Send progress")
    def live_progress(self, obj):
        url = reverse("admin:campaigns_campaign_progress", args=[obj.pk])
        return format_html('<div data-campaign-progress="{}">{}</div>', url, _progress_html(obj))

    @admin.display(description="Analytics")
    def analytics_panel(self, obj):
        if obj.started_at is None:
            return "Not sent yet."
        return render_to_string("admin/campaigns/_analytics.html", {"a": campaign_analytics(obj)})

    def get_urls(self):
        return [
            path(
                "<int:pk>/progress/",
                self.admin_site.admin_view(self.progress_view),
                name="campaigns_campaign_progress",
            ),
            *super().get_urls(),
        ]

    def progress_view(self, request, pk):
        """The live progress fragment the change page polls."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        campaign = Campaign.objects.filter(pk=pk).first()
        if campaign is None:
            return HttpResponse(status=404)
        return HttpResponse(_progress_html(campaign))

    class Media:
        js = ["js/admin_campaign_progress.js"]

    def has_winner_permission(self, request, object_id=None):
        # whoever may change campaigns (managers, admins) — also once it is sending, when the change form is read-only
        return super().has_change_permission(request)

    @action(description="Choose the A/B winner…", url_path="winner", permissions=["winner"])
    def choose_winner(self, request, object_id):
        """A page with the test's figures so far and the variants; posting it calls `campaign_winner_set` (as the
        API's POST /campaigns/{id}/winner) and goes back to the campaign, with the outcome or the refusal."""
        campaign = Campaign.objects.filter(pk=object_id).first()
        if campaign is None:
            return HttpResponse(status=404)
        back = reverse("admin:campaigns_campaign_change", args=[campaign.pk])
        variants = list(campaign.variants.order_by("code"))
        form = WinnerForm(request.POST or None, variants=variants)
        if request.method == "POST" and form.is_valid():
            with errors.as_message(request, about=campaign) as outcome:
                winner = campaign_winner_set(
                    campaign=campaign,
                    actor=request.user,
                    code=form.cleaned_data["code"],
                    reason=form.cleaned_data["reason"],
                )
            if outcome.error is None:
                self.message_user(
                    request, f"{campaign}: variant {winner.code} wins and goes to the rest of the audience."
                )
            return HttpResponseRedirect(back)
        figures = variant_figures(campaign, group=RecipientGroup.TEST) if len(variants) > 1 else []
        context = {
            **self.admin_site.each_context(request),
            "title": f"Choose the A/B winner: {campaign}",
            "opts": self.model._meta,
            "campaign": campaign,
            "form": form,
            "figures": figures,
            "metric": METRIC_KEY[campaign.goal_metric],
            "back": back,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/campaigns/winner.html", context)

    def _move(self, request, queryset, service, verb):
        for campaign in queryset:
            with errors.as_message(request, about=campaign):
                service(campaign=campaign, actor=request.user)
                self.message_user(request, f"{campaign}: {verb}.")

    @admin.action(description="Send now (or schedule, if it has a time)")
    def send(self, request, queryset):
        self._move(request, queryset, services.campaign_send, "sending started or scheduled")

    @admin.action(description="Pause sending")
    def pause(self, request, queryset):
        self._move(request, queryset, services.campaign_pause, "paused")

    @admin.action(description="Resume sending")
    def resume(self, request, queryset):
        self._move(request, queryset, services.campaign_resume, "resumed")

    @admin.action(description="Cancel")
    def cancel(self, request, queryset):
        self._move(request, queryset, services.campaign_cancel, "cancelled")


def _progress_html(campaign: Campaign) -> str:
    progress = campaign_progress(campaign) if campaign.started_at else None
    return render_to_string(
        "admin/campaigns/_progress.html",
        {"campaign": campaign, "p": progress, "live": campaign.status == CampaignStatus.ACTIVE},
    )


class CampaignVariantInline(ReadOnlyTabularInline):
    model = CampaignVariant
    fields = ["code", "name", "weight", "content_json"]
    readonly_fields = ["content_json"]

    @admin.display(description="Content")
    def content_json(self, obj):
        return json.dumps(obj.content, ensure_ascii=False)[:300]


CampaignAdmin.inlines = [CampaignVariantInline]


@admin.register(Suppression)
class SuppressionAdmin(ModelAdmin):
    list_display = ["created_at", "address", "channel", "reason", "detail"]
    list_filter = ["channel", "reason"]
    search_fields = ["address"]
    fields = ["channel", "address", "reason", "detail"]
    list_per_page = 50
