"""People and organisation: one User model for staff and customers, teams and branches."""

import pghistory
from django.apps import apps
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.crypto import salted_hmac

from apps.core.models import TimeStampedModel
from apps.core.validators import e164_validator

from .roles import READ, STAFF_ROLES, WRITE, Role, permissions_for_role, role_can


class UserManager(BaseUserManager):
    use_in_migrations = True

    def get_by_natural_key(self, username):
        return self.get(email__iexact=username)

    def create_user(self, email: str, password: str | None = None, **extra):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.full_clean(exclude=["password"])
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra):
        extra.setdefault("role", Role.ADMIN)
        return self.create_user(email, password, **extra)


@pghistory.track()
class Branch(TimeStampedModel):
    """An office of the brokerage; policies and staff belong to one."""

    permission_module = "teams"

    code = models.SlugField(max_length=20, unique=True)
    name = models.CharField(max_length=150)
    city = models.CharField(max_length=100, blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "branches"

    def __str__(self) -> str:
        return self.name


@pghistory.track()
class Team(TimeStampedModel):
    """A group of staff led by a manager; agents see their team's customers and cases."""

    permission_module = "teams"

    name = models.CharField(max_length=150, unique=True)
    branch = models.ForeignKey(Branch, null=True, blank=True, on_delete=models.SET_NULL, related_name="teams")
    manager = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="managed_teams"
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


@pghistory.track(exclude=["password", "last_login"])
class User(AbstractBaseUser, TimeStampedModel):
    """Anyone who signs in: staff (admin, manager, agent, assessor, viewer) and portal customers.

    Staff profile fields follow seed 001's agents table (department, certification level).
    Django's `is_staff` is derived from the role (staff roles use the admin back office).
    """

    permission_module = "users"

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        SUSPENDED = "suspended", "Suspended"
        INVITED = "invited", "Invited"

    email = models.EmailField(max_length=255, unique=True)
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    phone = models.CharField(max_length=20, blank=True, validators=[e164_validator])
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.CUSTOMER, db_index=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.ACTIVE)
    department = models.CharField(max_length=100, blank=True)
    job_title = models.CharField(max_length=100, blank=True)
    certification_level = models.PositiveSmallIntegerField(null=True, blank=True)
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="members")
    branch = models.ForeignKey(Branch, null=True, blank=True, on_delete=models.SET_NULL, related_name="staff")
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=timezone.now)
    password_changed_at = models.DateTimeField(null=True, blank=True, editable=False)
    # When an authentication factor (a TOTP device) was last added or removed: sessions and tokens from
    # before it end, as after a password change (OWASP ASVS V3.3 session termination).
    factors_changed_at = models.DateTimeField(null=True, blank=True, editable=False)
    mfa_enabled = models.BooleanField(default=False, editable=False)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["first_name", "last_name"]

    class Meta:
        ordering = ["last_name", "first_name", "id"]
        constraints = [
            models.UniqueConstraint(Lower("email"), name="accounts_user_email_ci_unique"),
        ]
        indexes = [models.Index(fields=["role", "is_active"], name="accounts_user_role_active")]

    def __str__(self) -> str:
        return f"{self.get_full_name()} <{self.email}>"

    def get_full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def get_short_name(self) -> str:
        return self.first_name

    @property
    def sessions_valid_from(self):
        """Tokens issued before this moment (a password or factor change) are no longer accepted."""
        moments = [m for m in (self.password_changed_at, self.factors_changed_at) if m is not None]
        return max(moments) if moments else None

    def _get_session_auth_hash(self, secret=None) -> str:
        # Django ends browser sessions whose stored hash no longer matches; mixing in the factor change
        # makes enrolling or removing an authenticator end the other admin and portal sessions too.
        changed = self.factors_changed_at.isoformat() if self.factors_changed_at else ""
        return salted_hmac(
            "django.contrib.auth.models.AbstractBaseUser.get_session_auth_hash",
            f"{self.password}|{changed}" if changed else self.password,
            secret=secret,
            algorithm="sha256",
        ).hexdigest()

    @property
    def is_staff(self) -> bool:  # Django admin gate
        return self.is_active and self.role in STAFF_ROLES

    @property
    def is_customer(self) -> bool:
        return self.role == Role.CUSTOMER

    @property
    def is_superuser(self) -> bool:
        return self.is_active and self.role == Role.ADMIN

    @property
    def permissions(self) -> list[str]:
        return permissions_for_role(self.role)

    def can(self, module: str, access: str = READ) -> bool:
        """The one permission check (API permission classes and admin both come here)."""
        return self.is_active and role_can(self.role, module, access)

    # Django's permission API, answered from the role matrix instead of per-user grants.
    # A model opts in with `permission_module = "<module>"`; anything else is admin-only.
    def has_perm(self, perm: str, obj=None) -> bool:
        if not self.is_active:
            return False
        if self.role == Role.ADMIN:
            return True
        try:
            app_label, codename = perm.split(".", 1)
            action, model_name = codename.split("_", 1)
            model = apps.get_model(app_label, model_name)
        except (ValueError, LookupError):
            return False
        module = getattr(model, "permission_module", None)
        if module is None:
            return False
        return role_can(self.role, module, READ if action == "view" else WRITE)

    def has_perms(self, perm_list, obj=None) -> bool:
        return all(self.has_perm(perm, obj) for perm in perm_list)

    def has_module_perms(self, app_label: str) -> bool:
        if not self.is_active:
            return False
        if self.role == Role.ADMIN:
            return True
        return any(
            getattr(model, "permission_module", None) and role_can(self.role, model.permission_module, READ)
            for model in apps.get_app_config(app_label).get_models()
        )


@pghistory.track()
class SavedFilter(TimeStampedModel):
    """A back-office list's filters saved under a name ("my overdue cases"): the query string of one admin
    changelist, kept private or shared with the owner's team. Only the changelist's own filter, search and
    ordering parameters are stored (`apps.accounts.services.saved_filter_create`); applying one never widens what
    the list shows, because the changelist scopes its rows to the person looking at it."""

    permission_module = "profile"

    owner = models.ForeignKey(User, on_delete=models.CASCADE, related_name="saved_filters")
    name = models.CharField(max_length=80)
    model_label = models.CharField(max_length=100, help_text='The changelist\'s model, as "app_label.model_name".')
    query = models.CharField(max_length=1000, help_text="The changelist's query string, without the page.")
    shared = models.BooleanField(default=False, help_text="Shown to the owner's team as well.")

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                "owner", "model_label", Lower("name"), name="accounts_savedfilter_owner_model_name_unique"
            ),
        ]
        indexes = [models.Index(fields=["model_label", "owner"], name="accounts_savedf_model_owner")]

    def __str__(self) -> str:
        return self.name
