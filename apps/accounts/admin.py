"""Back-office screens for users, teams and branches. Writes go through services."""

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.models import Group
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django_otp.plugins.otp_totp.models import TOTPDevice
from unfold.admin import ModelAdmin
from unfold.decorators import action, display

from apps.core import errors

from . import selectors, services
from .models import Branch, SavedFilter, Team, User


class UserAddForm(forms.ModelForm):
    password = forms.CharField(
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text="Leave empty to invite: the user sets a password through the reset link.",
    )

    class Meta:
        model = User
        fields = [
            "email",
            "first_name",
            "last_name",
            "role",
            "phone",
            "department",
            "job_title",
            "certification_level",
            "team",
            "branch",
        ]


@admin.register(User)
class UserAdmin(ModelAdmin):
    list_display = [
        "email",
        "first_name",
        "last_name",
        "role",
        "status",
        "team",
        "mfa_enabled",
        "is_active",
        "last_login",
    ]
    list_filter = ["role", "status", "is_active", "mfa_enabled", "team", "branch"]
    search_fields = ["email", "first_name", "last_name", "phone"]
    list_select_related = ["team", "branch"]
    ordering = ["last_name", "first_name"]
    readonly_fields = ["mfa_enabled", "last_login", "date_joined", "password_changed_at", "created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["email", "first_name", "last_name", "phone"]}),
        ("Access", {"fields": ["role", "status", "is_active", "mfa_enabled"]}),
        ("Organisation", {"fields": ["team", "branch", "department", "job_title", "certification_level"]}),
        ("History", {"fields": ["last_login", "date_joined", "password_changed_at", "created_at", "updated_at"]}),
    ]
    actions = ["send_password_reset", "reset_mfa", "deactivate"]

    def get_readonly_fields(self, request, obj=None):
        # The email is the login: changing it is an account operation, not a form edit.
        return [*self.readonly_fields, "email"] if obj is not None else self.readonly_fields

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = UserAddForm
        form = super().get_form(request, obj, **kwargs)
        if obj is None:
            return form

        class CheckedUserForm(form):
            """Runs the service's rules in clean(), so a refusal shows on the form instead of a 500."""

            def clean(self):
                cleaned = super().clean()
                changes = {name: cleaned.get(name) for name in self.changed_data}
                with errors.as_form_error():
                    services.user_update_check(user=obj, actor=request.user, changes=changes)
                return cleaned

        return CheckedUserForm

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return [(None, {"fields": [*UserAddForm.Meta.fields, "password"]})]
        return super().get_fieldsets(request, obj)

    def save_model(self, request, obj, form, change):
        data = {name: form.cleaned_data.get(name) for name in form.changed_data if name != "password"}
        with errors.as_form_error():
            if change:
                saved = services.user_update(user=obj, actor=request.user, request=request, **data)
            else:
                saved = services.user_create(
                    created_by=request.user,
                    password=form.cleaned_data.get("password") or None,
                    **{
                        name: form.cleaned_data.get(name)
                        for name in UserAddForm.Meta.fields
                        if form.cleaned_data.get(name) not in (None, "")
                    },
                )
        obj.pk = saved.pk
        obj.refresh_from_db()

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # users are deactivated, never deleted: records and the audit trail point at them

    @action(description="Email a password reset link", permissions=["change"])
    def send_password_reset(self, request, queryset):
        for user in queryset:
            services.password_reset_request(email=user.email, request=request)
        messages.success(request, f"Reset links sent to {queryset.count()} user(s).")

    @action(description="Remove authenticator (user must enrol MFA again)", permissions=["change"])
    def reset_mfa(self, request, queryset):
        for user in queryset:
            services.mfa_reset(user=user, actor=request.user, request=request)
        messages.success(request, f"MFA reset for {queryset.count()} user(s).")

    @action(description="Deactivate", permissions=["change"])
    def deactivate(self, request, queryset):
        done = 0
        for user in queryset.exclude(pk=request.user.pk):
            services.user_deactivate(user=user, actor=request.user, request=request)
            done += 1
        messages.success(request, f"Deactivated {done} user(s).")


@admin.register(Team)
class TeamAdmin(ModelAdmin):
    list_display = ["name", "branch", "manager"]
    list_filter = ["branch"]
    search_fields = ["name"]
    list_select_related = ["branch", "manager"]
    autocomplete_fields = ["manager"]

    def save_model(self, request, obj, form, change):
        saved = services.team_save(
            team=obj if change else None,
            name=form.cleaned_data["name"],
            branch=form.cleaned_data.get("branch"),
            manager=form.cleaned_data.get("manager"),
        )
        obj.pk = saved.pk


@admin.register(Branch)
class BranchAdmin(ModelAdmin):
    list_display = ["code", "name", "city", "is_active"]
    list_filter = ["is_active", "city"]
    search_fields = ["code", "name", "city"]

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        saved = services.branch_save(
            branch=obj if change else None,
            code=data["code"],
            name=data["name"],
            city=data.get("city") or "",
            is_active=data.get("is_active", True),
        )
        obj.pk = saved.pk


# Access comes from roles (roles.py), not Django groups; authenticator devices are managed through the
# "Remove authenticator" action so the user's MFA flag and sessions stay consistent.
for _model in (Group, TOTPDevice):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)


@admin.register(SavedFilter)
class SavedFilterAdmin(ModelAdmin):
    """Everyone's own saved filters and their team's shared ones; saved from the lists themselves (the bar above
    each list, apps.accounts.admin_saved_filters), deleted here or there by their owner."""

    list_display = ["name", "list_link", "owner", "shared", "created_at"]
    list_filter = ["shared", "model_label"]
    search_fields = ["name"]
    list_select_related = ["owner"]
    readonly_fields = ["name", "model_label", "query", "owner", "shared", "created_at"]
    actions = ["delete_own"]

    def get_queryset(self, request):
        return selectors.saved_filters_visible_to(request.user)

    def has_add_permission(self, request) -> bool:
        return False  # saved from the list they filter

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # through the action, by the owner (the service decides)

    @display(description="List")
    def list_link(self, obj):
        app_label, _, model_name = obj.model_label.partition(".")
        try:
            url = reverse(f"admin:{app_label}_{model_name}_changelist")
        except NoReverseMatch:
            return obj.model_label
        return format_html('<a class="text-primary-600 underline" href="{}?{}">{}</a>', url, obj.query, obj.model_label)

    @action(description="Delete (your own only)", permissions=["view"])
    def delete_own(self, request, queryset):
        deleted = 0
        for saved in queryset:
            with errors.as_message(request, about=saved.name):
                services.saved_filter_delete(saved_filter=saved, actor=request.user)
                deleted += 1
        if deleted:
            messages.success(request, f"{deleted} saved filter(s) deleted.")
