"""Saved filters on the back office's lists: saved from the list (only its own parameters), listed on the list and
the admin home, private or shared with the team, deleted by their owner only; defaults per role."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.template import Context, Template
from django.test import Client, RequestFactory
from django.utils import timezone

from apps.accounts import selectors, services
from apps.accounts.models import SavedFilter
from apps.accounts.roles import Role
from tests.factories.accounts import SavedFilterFactory, TeamFactory, UserFactory
from tests.factories.claims import ClaimFactory
from tests.factories.policies import PolicyFactory
from tests.factories.renewals import RenewalCaseFactory

pytestmark = pytest.mark.django_db

CASES = "/admin/renewals/renewalcase/"
SAVE = "/admin/renewals/renewalcase/saved-filters/save/"


def browser_for(user) -> Client:
    browser = Client()
    browser.force_login(user)
    return browser


def test_query_clean_keeps_only_the_lists_parameters_with_values():
    clean, dropped = services.saved_filter_query_clean(
        "?status__exact=new&p=3&q=&is_superuser=1&due=week&due=overdue", allowed={"status__exact", "q", "due"}
    )

    assert clean == "status__exact=new&due=week&due=overdue"
    assert dropped == ["is_superuser", "p"]


def test_agent_saves_the_lists_filters_and_unknown_parameters_are_left_out():
    team = TeamFactory()
    agent = UserFactory(role=Role.AGENT, team=team)

    response = browser_for(agent).post(
        SAVE,
        {
            "name": "  My   new ones ",
            "query": "status__exact=new&mine=1&p=2&assigned_to__team=9&_popup=1",
            "shared": "on",
        },
    )

    saved = SavedFilter.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"{CASES}?status__exact=new&mine=1"
    assert (saved.owner, saved.name, saved.model_label, saved.query, saved.shared) == (
        agent,
        "My new ones",
        "renewals.renewalcase",
        "status__exact=new&mine=1",
        True,
    )


def test_a_filter_value_the_list_refuses_is_not_saved():
    agent = UserFactory(role=Role.AGENT)

    response = browser_for(agent).post(
        SAVE, {"name": "Broken", "query": "assigned_to__id__exact=not-a-number"}, follow=True
    )

    assert SavedFilter.objects.count() == 0
    assert "These filters are not valid on this list, so they were not saved." in response.content.decode()


def test_nothing_to_save_sharing_without_a_team_and_a_taken_name_are_refused():
    agent = UserFactory(role=Role.AGENT)
    SavedFilterFactory(owner=agent, name="Mine")
    allowed = {"status__exact"}

    with pytest.raises(ValidationError) as empty:
        services.saved_filter_create(
            owner=agent, name="x", model_label="renewals.renewalcase", query="p=2", allowed=allowed
        )
    with pytest.raises(ValidationError) as no_team:
        services.saved_filter_create(
            owner=agent,
            name="x",
            model_label="renewals.renewalcase",
            query="status__exact=new",
            allowed=allowed,
            shared=True,
        )
    with pytest.raises(ValidationError) as taken:
        services.saved_filter_create(
            owner=agent, name="MINE", model_label="renewals.renewalcase", query="status__exact=new", allowed=allowed
        )

    assert empty.value.message_dict == {"query": ["Filter or search the list first: there is nothing to save."]}
    assert no_team.value.message_dict == {
        "shared": ["You are in no team, so there is no one to share it with: save it private."]
    }
    assert taken.value.message_dict == {"name": ['You already have a filter named "MINE" on this list.']}
    assert SavedFilter.objects.count() == 1


def test_private_filters_stay_private_and_shared_ones_reach_the_team_only():
    team, other_team = TeamFactory(), TeamFactory()
    owner = UserFactory(role=Role.AGENT, team=team, first_name="Rita", last_name="Ramos")
    teammate = UserFactory(role=Role.AGENT, team=team)
    outsider = UserFactory(role=Role.AGENT, team=other_team)
    private = SavedFilterFactory(owner=owner, name="Private one")
    shared = SavedFilterFactory(owner=owner, name="Shared one", shared=True)

    assert list(selectors.saved_filters_visible_to(owner)) == [private, shared]
    assert list(selectors.saved_filters_visible_to(teammate)) == [shared]
    assert list(selectors.saved_filters_visible_to(outsider)) == []
    page = browser_for(teammate).get(CASES).content.decode()
    assert "Shared one" in page
    assert "team, Rita Ramos" in page
    assert "Private one" not in page


def test_only_the_owner_deletes_a_filter():
    team = TeamFactory()
    owner, teammate = UserFactory(role=Role.AGENT, team=team), UserFactory(role=Role.AGENT, team=team)
    shared = SavedFilterFactory(owner=owner, shared=True)
    url = f"{CASES}saved-filters/{shared.pk}/delete/"

    refused = browser_for(teammate).post(url, {"query": ""}, follow=True)
    with pytest.raises(PermissionDenied):
        services.saved_filter_delete(saved_filter=shared, actor=teammate)
    assert SavedFilter.objects.filter(pk=shared.pk).exists()
    deleted = browser_for(owner).post(url, {"query": "status__exact=new"})

    assert "Only the person who saved a filter can delete it." in refused.content.decode()
    assert deleted.status_code == 302
    assert deleted["Location"] == f"{CASES}?status__exact=new"
    assert not SavedFilter.objects.filter(pk=shared.pk).exists()


def test_someone_elses_private_filter_is_not_found():
    private = SavedFilterFactory(owner=UserFactory(role=Role.AGENT))

    response = browser_for(UserFactory(role=Role.AGENT)).post(f"{CASES}saved-filters/{private.pk}/delete/")

    assert response.status_code == 404
    assert SavedFilter.objects.filter(pk=private.pk).exists()


def test_agents_default_filters_show_their_own_overdue_and_due_cases_only():
    agent, colleague = UserFactory(role=Role.AGENT), UserFactory(role=Role.AGENT)
    today = timezone.localdate()

    def case(assigned_to, days, status="new"):
        policy = PolicyFactory(agent=assigned_to, end_date=today + timedelta(days=days))
        return RenewalCaseFactory(policy=policy, assigned_to=assigned_to, status=status)

    overdue, due, later = case(agent, -3), case(agent, 5), case(agent, 40)
    case(colleague, -3)
    case(agent, -3, status="renewed")
    browser = browser_for(agent)

    listing = browser.get(CASES).content.decode()
    overdue_page = browser.get(f"{CASES}?due=overdue&mine=1")
    week_page = browser.get(f"{CASES}?due=week&mine=1")

    assert "My overdue cases" in listing
    assert "Cases due this week" in listing
    assert [c.pk for c in overdue_page.context["cl"].result_list] == [overdue.pk]
    assert [c.pk for c in week_page.context["cl"].result_list] == [due.pk]
    assert later.pk not in [c.pk for c in week_page.context["cl"].result_list]


def test_admin_home_lists_defaults_and_saved_filters_by_list():
    agent = UserFactory(role=Role.AGENT)
    SavedFilterFactory(owner=agent, name="Motor renewals", query="policy__policy_type=motor")

    page = browser_for(agent).get("/admin/").content.decode()

    assert 'id="saved-filters-home"' in page
    assert f'href="{CASES}?policy__policy_type=motor">Motor renewals</a>' in page
    assert 'href="/admin/claims/claim/?waiting=me">Claims waiting on me</a>' in page


def test_claims_waiting_on_me_follows_the_claims_stage():
    agent, assessor = UserFactory(role=Role.AGENT), UserFactory(role=Role.ASSESSOR)
    mine_triage = ClaimFactory(handler=agent, status="triage")
    first = ClaimFactory(handler=agent, status="assessment", assessor=assessor)
    ClaimFactory(handler=agent, status="closed", assessor=assessor)
    second = ClaimFactory(handler=agent, status="assessment", assessor=assessor)

    agents = browser_for(agent).get("/admin/claims/claim/?waiting=me").context["cl"].result_list
    assessors = browser_for(assessor).get("/admin/claims/claim/?waiting=me").context["cl"].result_list

    assert [c.pk for c in agents] == [mine_triage.pk]
    assert sorted(c.pk for c in assessors) == sorted([first.pk, second.pk])


def test_saved_filters_screen_lists_own_and_team_filters_and_deletes_only_own():
    team = TeamFactory()
    owner, teammate = UserFactory(role=Role.AGENT, team=team), UserFactory(role=Role.AGENT, team=team)
    own = SavedFilterFactory(owner=teammate, name="Mine")
    theirs = SavedFilterFactory(owner=owner, name="Theirs", shared=True)
    browser = browser_for(teammate)

    listing = browser.get("/admin/accounts/savedfilter/")
    response = browser.post(
        "/admin/accounts/savedfilter/",
        {"action": "delete_own", "index": "0", "_selected_action": [own.pk, theirs.pk]},
        follow=True,
    )

    assert [f.name for f in listing.context["cl"].result_list] == ["Mine", "Theirs"]
    assert list(SavedFilter.objects.all()) == [theirs]
    page = response.content.decode()
    assert "Theirs: Only the person who saved a filter can delete it." in page
    assert "1 saved filter(s) deleted." in page


def test_the_admin_home_reads_saved_filters_in_one_query_however_many_lists_have_them(django_assert_num_queries):
    agent = UserFactory(role=Role.AGENT)
    SavedFilterFactory(owner=agent, model_label="renewals.renewalcase")
    SavedFilterFactory(owner=agent, model_label="claims.claim", query="status__exact=triage")
    request = RequestFactory().get("/admin/")
    request.user = agent

    with django_assert_num_queries(1):
        html = Template("{% load saved_filters %}{% saved_filters_home %}").render(Context({"request": request}))

    assert html.count('class="text-primary-600 underline"') == 6  # 2 saved + 4 agent defaults
