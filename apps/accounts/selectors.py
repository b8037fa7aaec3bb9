"""Reads of users, teams and branches, scoped to what the asking user may see."""

from base64 import b32decode

from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404
from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.core.events import DASHBOARD_GROUP, role_group, user_group

from .models import Branch, SavedFilter, Team, User
from .roles import READ, STAFF_ROLES, Role


def users_visible_to(user: User) -> QuerySet[User]:
    """Admins see everyone; managers see staff; nobody else lists users."""
    qs = User.objects.select_related("team", "branch")
    if user.role == Role.ADMIN:
        return qs
    if user.can("users", READ):
        return qs.filter(role__in=STAFF_ROLES)
    return qs.none()


def book_agents(user: User) -> QuerySet[User, int]:
    """The agents whose customers `user` services: themself and their team's members (seed 001: an agent sees
    their own and their team's customers), as a subquery of ids. Scoping rows by `customer.agent_id IN (this)`
    lets PostgreSQL test each row against a small hashed set, where `customer.agent.team_id = …` joined the users
    table into every list and count (and an OR across that join is answered from no index)."""
    condition = Q(pk=user.pk)
    if user.team_id:
        condition |= Q(team_id=user.team_id)
    return User.objects.filter(condition).values_list("pk", flat=True)


def user_get_for_user(*, user: User, pk) -> User:
    return get_object_or_404(users_visible_to(user), pk=pk)


def teams_visible_to(user: User) -> QuerySet[Team]:
    return Team.objects.select_related("branch", "manager") if user.can("teams", READ) else Team.objects.none()


def branches_visible_to(user: User) -> QuerySet[Branch]:
    return Branch.objects.all() if user.can("teams", READ) else Branch.objects.none()


def user_event_groups(user: User) -> list[str]:
    """Websocket groups a user listens to: their own, their role's, the dashboard feed for staff."""
    groups = [user_group(user), role_group(user.role)]
    if user.role in STAFF_ROLES:
        groups.append(DASHBOARD_GROUP)
        if user.team_id:
            groups.append(f"team.{user.team_id}")
    return groups


def mfa_enrolment_pending(*, user: User, secret: str) -> bool:
    """Whether `secret` (from `mfa_setup`) is still the user's unconfirmed authenticator, so a page can show the
    same one again instead of starting over (a second setup replaces the device the person already scanned)."""
    try:
        key = b32decode(secret).hex()
    except ValueError:
        return False
    return TOTPDevice.objects.filter(user=user, confirmed=False, key=key).exists()


def mfa_device_confirmed(user: User) -> TOTPDevice | None:
    """The authenticator `user` signs in with, if they enrolled one."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("id").first()


def saved_filters_visible_to(user: User, *, model_label: str | None = None) -> QuerySet[SavedFilter]:
    """The user's own saved filters and those their team's active members share, optionally of one list."""
    visible = Q(owner=user)
    if user.team_id is not None:
        visible |= Q(shared=True, owner__team_id=user.team_id, owner__is_active=True)
    qs = SavedFilter.objects.filter(visible).select_related("owner")
    return qs.filter(model_label=model_label) if model_label else qs


def team_get_for_membership(*, user: User, pk) -> Team:
    """The team whose members `user` may change (admins: any; managers: the teams they manage), else 404."""
    teams = Team.objects.select_related("branch", "manager")
    if user.role != Role.ADMIN:
        teams = teams.filter(manager=user) if user.role == Role.MANAGER else teams.none()
    return get_object_or_404(teams, pk=pk)
