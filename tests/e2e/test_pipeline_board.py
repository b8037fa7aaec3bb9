"""The admin's pipeline board in a real browser against daphne (HTTP and the websocket): an agent drags a deal from
New to Quoted; the move is stored through the pipeline's service (stage, timeline), and a manager watching the
board in another browser sees the card move, pushed live as `opportunity:updated`. A refused move (a deal the
workflow cannot take there) puts the card back and says why. Screenshot: var/screenshots/pipeline-board.png."""

import pytest
from playwright.sync_api import expect

from apps.accounts.roles import Role
from apps.crm.models import Opportunity, OpportunityEvent, OpportunityStage
from tests.e2e.test_walkthroughs import LIVE_TIMEOUT, SocketWatch, shot, sign_in_to_admin
from tests.factories.accounts import TeamFactory
from tests.factories.crm import OpportunityFactory
from tests.factories.customers import CustomerFactory

pytestmark = pytest.mark.django_db(transaction=True)


def card(page, deal):
    return page.locator(f'[data-deal="{deal.pk}"]')


def column(page, stage):
    return page.locator(f'[data-pipeline-board] [data-stage="{stage}"]')


def test_dragging_a_deal_across_the_board_stores_the_move_and_pushes_it_live(
    asgi_server, new_page, make_user, password
):
    team = TeamFactory(name="Lisbon sales")
    agent = make_user(Role.AGENT, email="ines.agent@example.org", first_name="Ines", last_name="Costa", team=team)
    make_user(Role.MANAGER, email="mario.manager@example.org", first_name="Mario", team=team)
    customer = CustomerFactory(first_name="Joana", last_name="Prates", agent=agent)
    deal = OpportunityFactory(title="Home cover for Joana", customer=customer, agent=agent, team=team, value=640)
    won = OpportunityFactory(
        title="Old deal",
        customer=customer,
        agent=agent,
        team=team,
        stage=OpportunityStage.WON,
        closed_at=deal.created_at,
    )
    board_url = f"{asgi_server.url}/admin/crm/opportunity/board/"

    watcher = new_page()  # the manager, at another computer
    watching = SocketWatch(watcher)
    sign_in_to_admin(watcher, asgi_server, "mario.manager@example.org", password)
    watcher.goto(board_url)
    expect(card(watcher, deal)).to_be_visible()
    watching.wait_until_listening()

    page = new_page()
    sign_in_to_admin(page, asgi_server, "ines.agent@example.org", password)
    page.goto(board_url)
    expect(column(page, "New").locator(f'[data-deal="{deal.pk}"]')).to_be_visible()

    with page.expect_response(lambda r: r.url.endswith("/board/move/")) as answer:
        card(page, deal).drag_to(column(page, "Quoted"))
    assert answer.value.status == 200, answer.value.text()

    expect(column(page, "Quoted").locator(f'[data-deal="{deal.pk}"]')).to_be_visible()
    expect(column(page, "Quoted").locator("[data-stage-count]")).to_have_text("1")
    deal.refresh_from_db()
    assert deal.stage == OpportunityStage.QUOTED
    move = OpportunityEvent.objects.filter(opportunity=deal).order_by("occurred_at", "id").last()
    assert (move.from_stage, move.to_stage, move.actor.email) == ("New", "Quoted", "ines.agent@example.org")
    # pushed live: the manager's board moved the card without a reload
    expect(column(watcher, "Quoted").locator(f'[data-deal="{deal.pk}"]')).to_be_visible(timeout=LIVE_TIMEOUT)
    assert "opportunity:updated" in watching.events
    shot(watcher, "pipeline-board")
    assert watcher.console_errors == []
    assert page.console_errors == []

    # a won deal cannot go back to Negotiation: the card returns and the board says why
    with page.expect_response(lambda r: r.url.endswith("/board/move/")) as refused:
        card(page, won).drag_to(column(page, "Negotiation"))
    assert refused.value.status == 400
    expect(page.locator("[data-board-error]")).to_contain_text("cannot move to Negotiation")
    expect(column(page, "Won").locator(f'[data-deal="{won.pk}"]')).to_be_visible()
    assert Opportunity.objects.get(pk=won.pk).stage == OpportunityStage.WON
    # the browser logs the refused request itself (a 400), and nothing else went wrong
    assert [e for e in page.console_errors if "status of 400" not in e] == []
