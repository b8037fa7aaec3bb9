"""Account use-cases: registration, login (with MFA and lockout), tokens, passwords, staff management."""

from base64 import b32encode
from collections.abc import Collection
from dataclasses import dataclass
from urllib.parse import urlencode

from axes.utils import reset_request as axes_reset_request
from django.conf import settings
from django.contrib.auth import SESSION_KEY, authenticate, password_validation, update_session_auth_hash
from django.contrib.auth.tokens import default_token_generator
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import QueryDict
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.encoding import force_bytes, force_str
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode
from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.audit.models import SecurityEvent
from apps.audit.services import security_event_record
from apps.core.events import publish, role_group
from apps.core.exceptions import Conflict, NotAuthenticated
from apps.core.tasks import send_email

from .api import tokens
from .models import Branch, SavedFilter, Team, User
from .roles import Role
from .tasks import send_password_reset

MFA_CHALLENGE_SALT = "insureops.accounts.mfa-challenge"
MFA_CHALLENGE_MAX_AGE = 300  # seconds


class AuthError(NotAuthenticated):
    default_code = "invalid_credentials"
    default_message = "Invalid email or password."


@dataclass(frozen=True)
class LoginResult:
    user: User
    tokens: dict | None = None
    mfa_token: str | None = None

    @property
    def mfa_required(self) -> bool:
        return self.mfa_token is not None


def _normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def _validate_password(password: str, user: User | None = None) -> None:
    try:
        password_validation.validate_password(password, user)
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from exc


def tokens_issue(*, user: User, otp_verified: bool, session_id: str | None = None) -> dict:
    """Seed 003 token block: access_token, refresh_token, expires_in (seconds). `session_id`: continue that
    sign-in (a rotation), else start a new one."""
    return tokens.token_pair(user=user, otp_verified=otp_verified, session_id=session_id)


def _user_tokens_revoke(user: User) -> int:
    """Blacklist every outstanding refresh token of `user` (after a password reset/change or deactivation)."""
    return tokens.user_refresh_tokens_revoke(user)


# --- registration and staff management ------------------------------------------------------------


def customer_sign_up(**fields) -> tuple[User, dict]:
    """Self-registration followed by sign-in: the new customer and their first tokens."""
    user = customer_register(**fields)
    return user, tokens_issue(user=user, otp_verified=False)


@transaction.atomic
def customer_register(*, email: str, password: str, first_name: str, last_name: str, phone: str = "") -> User:
    """Self-registration of a portal customer (agents and other staff are created by admins)."""
    email = _normalise_email(email)
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationError({"email": ["An account with this email already exists."]})
    user = User(
        email=email, first_name=first_name.strip(), last_name=last_name.strip(), phone=phone.strip(), role=Role.CUSTOMER
    )
    _validate_password(password, user)
    user.set_password(password)
    user.full_clean(exclude=["password"])
    user.save()
    publish(
        "account:registered",
        {"user_id": user.pk, "email": user.email, "role": user.role},
        audience=[role_group(Role.ADMIN)],
    )
    return user


@transaction.atomic
def user_create(
    *,
    email: str,
    first_name: str,
    last_name: str,
    role: str,
    password: str | None = None,
    created_by: User | None = None,
    **profile,
) -> User:
    """An admin creates a user of any role. Without a password the account must set one by reset."""
    email = _normalise_email(email)
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationError({"email": ["An account with this email already exists."]})
    if role not in Role.values:
        raise ValidationError({"role": [f"Must be one of: {', '.join(Role.values)}."]})
    user = User(email=email, first_name=first_name.strip(), last_name=last_name.strip(), role=role, **profile)
    if password:
        _validate_password(password, user)
        user.set_password(password)
    else:
        user.set_unusable_password()
        user.status = User.Status.INVITED
    user.full_clean(exclude=["password"])
    _save_new_user(user)
    return user


def _save_new_user(user: User) -> None:
    try:
        with transaction.atomic():  # savepoint: a concurrent sign-up with the same email loses cleanly
            user.save()
    except IntegrityError:
        raise ValidationError({"email": ["An account with this email already exists."]}) from None


_USER_EDITABLE = {
    "first_name",
    "last_name",
    "phone",
    "department",
    "job_title",
    "certification_level",
    "team",
    "branch",
    "role",
    "status",
    "is_active",
}
_SELF_EDITABLE = {"first_name", "last_name", "phone"}


def user_update_check(*, user: User, actor: User, changes: dict) -> None:
    """The rules of `user_update`, without writing (the admin form runs them to show errors inline)."""
    if actor.pk != user.pk and actor.role != Role.ADMIN:
        raise PermissionDenied("Only administrators can edit other users.")
    allowed = _USER_EDITABLE if actor.role == Role.ADMIN else _SELF_EDITABLE
    unknown = set(changes) - allowed
    if unknown:
        raise ValidationError({field: ["This field cannot be changed here."] for field in sorted(unknown)})
    if user.pk == actor.pk and (
        ("role" in changes and changes["role"] != user.role)
        or changes.get("is_active") is False
        or changes.get("status") == User.Status.SUSPENDED
    ):
        raise ValidationError({"role": ["You cannot change your own role or deactivate yourself."]})


@transaction.atomic
def user_update(*, user: User, actor: User, request=None, **changes) -> User:
    """Change a user's profile. Only admins change role/status; people edit their own contact fields.

    `status` and `is_active` are one fact: suspended ⇔ inactive. Any change of role or access ends the
    user's sessions (their tokens carry the old role).
    """
    user_update_check(user=user, actor=actor, changes=changes)
    user = User.objects.select_for_update().get(pk=user.pk)
    old_role, old_active = user.role, user.is_active
    for field, value in changes.items():
        setattr(user, field, value)
    if changes.get("status") == User.Status.SUSPENDED or changes.get("is_active") is False:
        user.is_active, user.status = False, User.Status.SUSPENDED
    elif changes.get("status") == User.Status.ACTIVE or changes.get("is_active") is True:
        user.is_active = True
        user.status = User.Status.ACTIVE if user.status == User.Status.SUSPENDED else user.status
    user.full_clean(exclude=["password"])
    user.save()
    if user.role != old_role:
        security_event_record(
            kind=SecurityEvent.Kind.ROLE_CHANGED,
            request=request,
            user=actor,
            details={"target_user_id": user.pk, "from": old_role, "to": user.role},
        )
    if user.role != old_role or (old_active and not user.is_active):
        _user_tokens_revoke(user)
    return user


@transaction.atomic
def user_deactivate(*, user: User, actor: User, request=None) -> User:
    """Deactivate (never delete: the audit trail and records point at users). Administrators only."""
    if actor.role != Role.ADMIN:
        raise PermissionDenied("Only administrators deactivate users.")
    return user_update(user=user, actor=actor, request=request, status=User.Status.SUSPENDED)


@transaction.atomic
def team_save(
    *, team: Team | None = None, name: str, branch: Branch | None = None, manager: User | None = None
) -> Team:
    """Create or change a team; its manager must be a manager or admin."""
    if manager is not None and manager.role not in (Role.MANAGER, Role.ADMIN):
        raise ValidationError({"manager": ["Must be a manager or an administrator."]})
    team = team or Team()
    team.name, team.branch, team.manager = name.strip(), branch, manager
    team.full_clean()
    team.save()
    return team


@transaction.atomic
def team_members_set(
    *, team: Team, actor: User, add: list[User] | None = None, members: list[User] | None = None
) -> Team:
    """Seed 004 PUT /teams/{id}/members: add people to a team (`add`) or make its membership exactly `members`.
    Only staff join teams; a manager changes only the teams they manage and moves agents and assessors only (an
    admin or another manager is moved by an admin). Someone added leaves their previous team."""
    if actor.role not in (Role.ADMIN, Role.MANAGER):
        raise PermissionDenied("Only admins and managers change teams.")
    if actor.role == Role.MANAGER and team.manager_id != actor.pk:
        raise PermissionDenied("You manage the members of your own teams only.")
    team = Team.objects.select_for_update().get(pk=team.pk)
    wanted = list(add or []) + list(members or [])
    for person in wanted:
        if person.role == Role.CUSTOMER or not person.is_active:
            raise ValidationError({"user_id": [f"{person.email} is not active staff."]})
        if actor.role == Role.MANAGER and person.role not in (Role.AGENT, Role.ASSESSOR, Role.VIEWER):
            raise ValidationError({"user_id": [f"Only an admin moves {person.email} ({person.role})."]})
    joining = [p.pk for p in wanted if p.team_id != team.pk]
    if joining:
        User.objects.filter(pk__in=joining).update(team=team, updated_at=timezone.now())
    if members is not None:
        leaving = User.objects.filter(team=team).exclude(pk__in=[p.pk for p in members])
        if actor.role == Role.MANAGER and leaving.exclude(role__in=(Role.AGENT, Role.ASSESSOR, Role.VIEWER)).exists():
            raise ValidationError({"member_ids": ["Only an admin removes a manager or an admin from a team."]})
        leaving.update(team=None, updated_at=timezone.now())
    return team


@transaction.atomic
def branch_save(
    *, branch: Branch | None = None, code: str, name: str, city: str = "", is_active: bool = True
) -> Branch:
    branch = branch or Branch()
    branch.code, branch.name, branch.city, branch.is_active = (
        code.strip().lower(),
        name.strip(),
        city.strip(),
        is_active,
    )
    branch.full_clean()
    branch.save()
    return branch


# --- login, tokens, logout ------------------------------------------------------------------------


def user_login(*, request, email: str, password: str) -> LoginResult:
    """Check credentials (django-axes counts failures and locks out), then issue tokens or an MFA challenge."""
    email = _normalise_email(email)
    user = authenticate(request, username=email, password=password)
    if user is None:
        # Failed attempts are recorded by the user_login_failed receiver (audit) and counted by axes.
        raise AuthError()
    if not user.is_active or user.status == User.Status.SUSPENDED:
        raise AuthError()  # same answer as a wrong password: says nothing about the account
    if user.mfa_enabled:
        mfa_token = signing.dumps({"uid": user.pk, "pw": _password_fingerprint(user)}, salt=MFA_CHALLENGE_SALT)
        return LoginResult(user=user, mfa_token=mfa_token)
    return _login_complete(request=request, user=user, otp_verified=False)


def _password_fingerprint(user: User) -> str:
    """Ties an MFA challenge to the current password without revealing anything about its hash."""
    return salted_hmac("insureops.mfa-challenge", user.password, algorithm="sha256").hexdigest()[:24]


def _login_complete(*, request, user: User, otp_verified: bool) -> LoginResult:
    User.objects.filter(pk=user.pk).update(last_login=timezone.now())
    if request is not None:
        axes_reset_request(request)  # a successful sign-in clears earlier failures, as session logins do
    security_event_record(
        kind=SecurityEvent.Kind.LOGIN_SUCCEEDED,
        request=request,
        user=user,
        details={"channel": "api", "mfa": otp_verified},
    )
    return LoginResult(user=user, tokens=tokens_issue(user=user, otp_verified=otp_verified))


def mfa_login_verify(*, request, mfa_token: str, code: str) -> LoginResult:
    """Second step of an MFA login: the challenge token from step one plus a valid TOTP code."""
    try:
        data = signing.loads(mfa_token, salt=MFA_CHALLENGE_SALT, max_age=MFA_CHALLENGE_MAX_AGE)
        user = User.objects.get(pk=data["uid"], is_active=True)
    except (signing.BadSignature, User.DoesNotExist, KeyError, TypeError):
        raise AuthError(
            "The MFA challenge is invalid or has expired; sign in again.", code="mfa_token_invalid"
        ) from None
    if data.get("pw") != _password_fingerprint(user):
        raise AuthError("The MFA challenge is no longer valid; sign in again.", code="mfa_token_invalid")
    if not _totp_verify(user=user, code=code, confirmed=True):
        security_event_record(kind=SecurityEvent.Kind.MFA_CHALLENGE_FAILED, request=request, user=user)
        raise AuthError("The authentication code is not valid.", code="invalid_mfa_code")
    return _login_complete(request=request, user=user, otp_verified=True)


def token_refresh(*, refresh_token: str, request=None) -> dict:
    """Rotate a refresh token: the old one is blacklisted, a new pair is returned."""
    try:
        # Signature and expiry are checked here; the blacklist is checked below (to detect reuse).
        old = tokens.refresh_token_claims(refresh_token)
        user = User.objects.get(pk=old["sub"])
    except (tokens.TokenInvalid, User.DoesNotExist, KeyError) as exc:
        security_event_record(
            kind=SecurityEvent.Kind.TOKEN_REFRESH_REJECTED, request=request, details={"reason": str(exc)[:200]}
        )
        raise AuthError("The refresh token is invalid, expired or revoked.", code="token_not_valid") from None
    if not user.is_active:
        raise AuthError("The refresh token is invalid, expired or revoked.", code="token_not_valid")
    changed = user.sessions_valid_from
    if changed is not None and old.get("iat", 0) < int(changed.timestamp()):
        raise AuthError(
            "The refresh token was issued before a password or sign-in factor change.", code="token_not_valid"
        )
    with transaction.atomic():
        # Lock the token row so two concurrent refreshes of one token cannot both succeed.
        reused = tokens.refresh_token_consume(old["jti"])
        if reused is None:
            raise AuthError("The refresh token is invalid, expired or revoked.", code="token_not_valid")
        if not reused:
            return tokens_issue(
                user=user, otp_verified="otp" in (old.get("amr") or []), session_id=old.get(tokens.SESSION_CLAIM)
            )
        # A rotated-away token presented again means it leaked: end every session of the user.
        _user_tokens_revoke(user)
    security_event_record(kind=SecurityEvent.Kind.TOKEN_REUSE, request=request, user=user, details={"jti": old["jti"]})
    raise AuthError("The refresh token was already used; all sessions have been ended.", code="token_reused")


def user_logout(*, user: User, access_token=None, refresh_token: str | None = None, request=None) -> int:
    """End one sign-in (seed 003: POST /auth/logout with only the bearer header). The access token presented
    stops working at once, and every live refresh token of its sign-in (same `sid`, whatever the rotations
    since) is blacklisted, as is `refresh_token` when given. An access token from before sign-ins had a `sid`
    cannot name its sign-in: then every refresh token of the user ends, erring on the side of signing out.
    Returns how many refresh tokens were blacklisted."""
    if not refresh_token and access_token is None:
        raise ValidationError({"refresh_token": ["Send the refresh token, or sign out with the bearer token."]})
    with transaction.atomic():
        sessions: set[str] = set()
        if refresh_token:
            try:
                revoked_session = tokens.refresh_token_revoke(refresh_token, subject=str(user.pk))
            except tokens.TokenInvalid as exc:
                raise ValidationError({"refresh_token": [str(exc)]}) from None
            if revoked_session:
                sessions.add(revoked_session)
        if access_token is not None and not access_token.get(tokens.SESSION_CLAIM):
            ended = _user_tokens_revoke(user)
        else:
            if access_token is not None:
                sessions.add(access_token[tokens.SESSION_CLAIM])
            ended = tokens.session_refresh_tokens_revoke(user=user, sessions=sessions) + bool(refresh_token)
    if access_token is not None:
        tokens.access_token_revoke(access_token)
    security_event_record(
        kind=SecurityEvent.Kind.LOGOUT,
        request=request,
        user=user,
        details={"channel": "api", "sessions_ended": ended},
    )
    return ended


# --- passwords -----------------------------------------------------------------------------------


def password_reset_request(*, email: str, request=None) -> None:
    """Queue a reset email. The lookup happens in the task, so known and unknown addresses take the same
    time and get the same answer (no enumeration)."""
    email = _normalise_email(email)
    security_event_record(kind=SecurityEvent.Kind.PASSWORD_RESET_REQUESTED, request=request, email=email)
    transaction.on_commit(lambda: send_password_reset.delay(email=email), robust=True)


def password_reset_email(*, email: str) -> bool:
    """Send the reset link if an active account has this email (called by the task). True if sent."""
    user = User.objects.filter(email__iexact=email, is_active=True).first()
    if user is None:
        return False
    token = f"{urlsafe_base64_encode(force_bytes(user.pk))}.{default_token_generator.make_token(user)}"
    context = {
        "user": user,
        "token": token,
        "reset_url": f"{settings.PORTAL_BASE_URL}/reset-password?token={token}",
        "valid_minutes": settings.PASSWORD_RESET_TIMEOUT // 60,
    }
    send_email(
        subject="Reset your InsureOps password",
        body=render_to_string("emails/password_reset.txt", context),
        html=render_to_string("emails/password_reset.html", context),
        to=[user.email],
    )
    return True


def _user_from_reset_token(token: str) -> User | None:
    try:
        uidb64, raw = token.split(".", 1)
        user = User.objects.get(pk=force_str(urlsafe_base64_decode(uidb64)), is_active=True)
    except (ValueError, TypeError, OverflowError, User.DoesNotExist):
        return None
    return user if default_token_generator.check_token(user, raw) else None


@transaction.atomic
def password_reset_confirm(*, token: str, password: str, request=None) -> User:
    """Set a new password from an emailed token. The token dies with the change (it hashes the password)."""
    user = _user_from_reset_token(token)
    if user is None:
        raise ValidationError({"token": ["This reset link is invalid or has already been used."]})
    _validate_password(password, user)
    _password_set(user=user, password=password)
    if user.status == User.Status.INVITED:
        user.status = User.Status.ACTIVE
        user.save(update_fields=["status", "updated_at"])
    security_event_record(kind=SecurityEvent.Kind.PASSWORD_RESET, request=request, user=user)
    return user


def password_change(*, user: User, current_password: str, new_password: str, request=None) -> dict:
    """Change one's own password; all other sessions end. Returns fresh tokens for this one."""
    if not user.check_password(current_password):
        security_event_record(kind=SecurityEvent.Kind.PASSWORD_CHANGE_FAILED, request=request, user=user)
        raise ValidationError({"current_password": ["The current password is not correct."]})
    _validate_password(new_password, user)
    with transaction.atomic():
        _password_set(user=user, password=new_password)
        security_event_record(kind=SecurityEvent.Kind.PASSWORD_CHANGED, request=request, user=user)
        return tokens_issue(user=user, otp_verified=user.mfa_enabled)


def _password_set(*, user: User, password: str) -> None:
    user.set_password(password)
    # Whole seconds: JWT `iat` has second resolution, so tokens minted after this moment stay valid.
    user.password_changed_at = timezone.now().replace(microsecond=0)
    user.save(update_fields=["password", "password_changed_at", "updated_at"])
    _user_tokens_revoke(user)


# --- MFA (TOTP via django-otp) ---------------------------------------------------------------------


def _totp_verify(*, user: User, code: str, confirmed: bool) -> bool:
    code = (code or "").strip().replace(" ", "")
    if not code.isdigit():
        return False
    for device in TOTPDevice.objects.filter(user=user, confirmed=confirmed):
        # verify_token rejects a code already used (replay) and enforces django-otp's throttling.
        if device.verify_token(code):
            return True
    return False


@transaction.atomic
def mfa_setup(*, user: User) -> dict:
    """Start TOTP enrolment: a new unconfirmed device; returns the otpauth URI for an authenticator app."""
    if user.mfa_enabled:
        raise Conflict("MFA is already enabled for this account.", code="mfa_already_enabled")
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)
    return {
        "otpauth_uri": device.config_url,
        "secret": b32encode(device.bin_key).decode(),
        "digits": device.digits,
        "period": device.step,
    }


def mfa_confirm(*, user: User, code: str, request=None) -> dict:
    """Finish enrolment with a code from the app; earlier (password-only) sessions end; returns tokens that
    count as MFA-verified."""
    if user.mfa_enabled:
        raise Conflict("MFA is already enabled for this account.", code="mfa_already_enabled")
    if not TOTPDevice.objects.filter(user=user, confirmed=False).exists():
        raise Conflict("Start with /auth/mfa/setup first.", code="mfa_setup_missing")
    if not _totp_verify(user=user, code=code, confirmed=False):
        # Recorded outside any transaction, so the failure is kept although the request fails.
        security_event_record(
            kind=SecurityEvent.Kind.MFA_CHALLENGE_FAILED, request=request, user=user, details={"stage": "enrolment"}
        )
        raise ValidationError({"code": ["The authentication code is not valid."]})
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user, confirmed=False).update(confirmed=True)
        user.mfa_enabled = True
        ended = _factors_changed(user=user, change="enrolled")
        security_event_record(
            kind=SecurityEvent.Kind.MFA_ENROLLED, request=request, user=user, details={"sessions_ended": ended}
        )
        _keep_this_browser_session(request=request, user=user)
        return tokens_issue(user=user, otp_verified=True)


@transaction.atomic
def mfa_reset(*, user: User, actor: User, request=None) -> None:
    """An admin removes a user's authenticator (lost phone); the user must enrol again."""
    if actor.role != Role.ADMIN:
        raise PermissionDenied("Only administrators remove authenticators.")
    TOTPDevice.objects.filter(user=user).delete()
    user.mfa_enabled = False
    ended = _factors_changed(user=user, change="removed")
    security_event_record(
        kind=SecurityEvent.Kind.MFA_RESET,
        request=request,
        user=actor,
        details={"target_user_id": user.pk, "sessions_ended": ended},
    )


def _factors_changed(*, user: User, change: str) -> int:
    """After an authenticator is added or removed, every earlier session of the person ends: refresh tokens
    are blacklisted, access tokens issued before now are refused, and browser sessions (admin, portal) no
    longer match the session hash. The person is told by email, so a change they did not make is noticed.
    Returns how many API sessions (refresh tokens) ended."""
    # Whole seconds, like password_changed_at: JWT `iat` has second resolution.
    user.factors_changed_at = timezone.now().replace(microsecond=0)
    user.save(update_fields=["mfa_enabled", "factors_changed_at", "updated_at"])
    ended = _user_tokens_revoke(user)
    context = {"user": user, "change": change, "portal_url": settings.PORTAL_BASE_URL}
    subject = "Two-step sign-in was turned on" if change == "enrolled" else "Your authenticator was removed"
    body = render_to_string("emails/mfa_changed.txt", context)
    transaction.on_commit(lambda: send_email.delay(subject=subject, body=body, to=[user.email]), robust=True)
    return ended


def _keep_this_browser_session(*, request, user: User) -> None:
    """The browser session that made the change stays signed in (its hash is renewed); API callers have none."""
    session = getattr(request, "session", None) if request is not None else None
    if session is not None and session.get(SESSION_KEY) == str(user.pk):
        update_session_auth_hash(request, user)


# --- saved filters (the back office's named list views) ---------------------------------------------------------

SAVED_FILTER_QUERY_MAX = 1000  # SavedFilter.query's max_length
SAVED_FILTER_NAME_MAX = 80  # SavedFilter.name's max_length


def saved_filter_query_clean(query: str, *, allowed: Collection[str]) -> tuple[str, list[str]]:
    """(the query string with only the `allowed` parameters that carry a value, in their order; the names of the
    parameters dropped). The page, popup and error markers and anything the changelist does not know go."""
    params = QueryDict(query.lstrip("?"))
    kept: list[tuple[str, str]] = []
    dropped: set[str] = set()
    for key in params:
        if key not in allowed:
            dropped.add(key)
            continue
        kept += [(key, value) for value in params.getlist(key) if value.strip()]
    return urlencode(kept), sorted(dropped)


@transaction.atomic
def saved_filter_create(
    *, owner: User, name: str, model_label: str, query: str, allowed: Collection[str], shared: bool = False
) -> SavedFilter:
    """Save a changelist's filters under a name: only the list's own parameters (`allowed`: its filters, search,
    ordering and date drill-down) are kept, so a saved filter is never more than what the person could click; a
    shared one is seen by the owner's team, whose lists still show each member only the rows they may see."""
    name = " ".join(name.split())
    if not name:
        raise ValidationError({"name": ["Give the filter a name."]})
    if len(name) > SAVED_FILTER_NAME_MAX:
        raise ValidationError({"name": ["Keep the name under 80 characters."]})
    clean, _ = saved_filter_query_clean(query, allowed=allowed)
    if not clean:
        raise ValidationError({"query": ["Filter or search the list first: there is nothing to save."]})
    if len(clean) > SAVED_FILTER_QUERY_MAX:
        raise ValidationError({"query": ["Too many filters to save in one."]})
    if shared and owner.team_id is None:
        raise ValidationError({"shared": ["You are in no team, so there is no one to share it with: save it private."]})
    taken = SavedFilter.objects.filter(owner=owner, model_label=model_label, name__iexact=name)
    if taken.exists():
        raise ValidationError({"name": [f'You already have a filter named "{name}" on this list.']})
    return SavedFilter.objects.create(owner=owner, name=name, model_label=model_label, query=clean, shared=shared)


@transaction.atomic
def saved_filter_delete(*, saved_filter: SavedFilter, actor: User) -> None:
    """Delete a saved filter: its owner only (a teammate's shared filter is theirs to remove)."""
    if saved_filter.owner_id != actor.pk:
        raise PermissionDenied("Only the person who saved a filter can delete it.")
    SavedFilter.objects.filter(pk=saved_filter.pk).delete()
