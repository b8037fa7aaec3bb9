"""Two-way Google Calendar sync (issue #17), against Google's HTTP boundary only (tests/crm/google_calendar_fake.py:
the token endpoint, events pages with nextPageToken/nextSyncToken, 410, insert/patch/delete, watch, stop). The
database, cache, events and tasks are the real ones."""

import json
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from django.db import connection as db
from django.urls import reverse
from django.utils import timezone

from apps.crm.calsync import base
from apps.crm.calsync.sync import PROPERTY, channels_renew, connection_sync
from apps.crm.models import Appointment, AppointmentStatus, CalendarConnection, CalendarEventLink
from tests.conftest import client_for
from tests.factories.crm import AppointmentFactory

from .google_calendar_fake import ACCOUNT, CLIENT_ID, CLIENT_SECRET, REDIRECT_URI, WEBHOOK_URL, FakeGoogle

pytestmark = pytest.mark.django_db


@pytest.fixture
def google(monkeypatch, settings):
    settings.CRM_CALENDAR_PROVIDER = "google"
    settings.GOOGLE_CALENDAR = {
        **settings.GOOGLE_CALENDAR,
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "redirect_uri": REDIRECT_URI,
        "webhook_url": WEBHOOK_URL,
    }
    fake = FakeGoogle()
    monkeypatch.setattr(base, "transport_override", httpx.MockTransport(fake))
    return fake


@pytest.fixture
def agent(make_user):
    return make_user("agent", email="marta@insureops.test")


def _callback_path(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


@pytest.fixture
def connected(google, agent, django_capture_on_commit_callbacks):
    """The agent connects through the real flow: start → consent → callback (→ watch, first sync)."""
    client = client_for(agent)
    with django_capture_on_commit_callbacks(execute=True):
        start = client.post(reverse("v1:calendar-google-connect"))
        redirect = google.consent(start.json()["data"]["authorization_url"])
        response = client_for(None).get(_callback_path(redirect))
    assert response.status_code == 200, response.content
    return CalendarConnection.objects.get(agent=agent)


def _google_event(summary: str, start: datetime, hours: int = 1, **extra) -> dict:
    return {
        "summary": summary,
        "start": {"dateTime": start.astimezone(UTC).isoformat().replace("+00:00", "Z"), "timeZone": "Europe/Lisbon"},
        "end": {"dateTime": (start + timedelta(hours=hours)).astimezone(UTC).isoformat().replace("+00:00", "Z")},
        "creator": {"email": ACCOUNT, "self": True},
        "organizer": {"email": ACCOUNT, "self": True},
        **extra,
    }


def _push(google, connection, capture, **headers):
    connection.refresh_from_db()
    with capture(execute=True):
        return client_for(None).post(
            reverse("v1:calendar-google-notifications"),
            **{**google.notification_headers(connection.channel_id), **headers},
        )


# --- OAuth ---------------------------------------------------------------------------------------------------------


def test_connect_builds_googles_consent_url_with_pkce_and_a_signed_state(google, agent):
    response = client_for(agent).post(reverse("v1:calendar-google-connect"))

    assert response.status_code == 201
    url = response.json()["data"]["authorization_url"]
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == "https://accounts.google.com/o/oauth2/v2/auth"
    assert query["client_id"] == CLIENT_ID
    assert query["redirect_uri"] == REDIRECT_URI
    assert query["response_type"] == "code"
    assert query["access_type"] == "offline"
    assert query["prompt"] == "consent"
    assert "https://www.googleapis.com/auth/calendar.events" in query["scope"].split()
    assert query["code_challenge_method"] == "S256"
    assert len(query["code_challenge"]) == 43
    assert query["login_hint"] == "marta@insureops.test"
    assert query["state"]
    assert not CalendarConnection.objects.exists()  # nothing is kept before Google answers


def test_the_callback_exchanges_the_code_and_keeps_the_refresh_token_encrypted(connected, google):
    token_request = google.requests_to("POST", "/token")[0]
    form = {k: v[0] for k, v in parse_qs(token_request.content.decode()).items()}
    assert form["grant_type"] == "authorization_code"
    assert form["redirect_uri"] == REDIRECT_URI
    assert form["client_secret"] == CLIENT_SECRET
    assert 43 <= len(form["code_verifier"]) <= 128
    refresh = next(iter(google.refresh_tokens))

    assert connected.status == "connected"
    assert connected.account_email == ACCOUNT
    assert connected.refresh_token == refresh
    with db.cursor() as cursor:
        cursor.execute("SELECT refresh_token, access_token FROM crm_calendarconnection WHERE id = %s", [connected.pk])
        stored_refresh, stored_access = cursor.fetchone()
    assert refresh not in stored_refresh
    assert stored_refresh.startswith("gAAAA")
    assert connected.access_token not in stored_access
    # the connection opened its watch channel and ran its first, full sync
    assert connected.channel_id in google.channels
    assert connected.sync_token in google.sync_tokens
    assert connected.channel_token == google.channels[connected.channel_id]["token"]


def test_a_reused_or_forged_state_is_refused_and_nothing_is_kept(google, agent):
    client = client_for(agent)
    url = client.post(reverse("v1:calendar-google-connect")).json()["data"]["authorization_url"]
    redirect = google.consent(url)
    state = parse_qs(urlsplit(redirect).query)["state"][0]
    forged = client_for(None).get(reverse("v1:calendar-google-callback"), {"state": state + "x", "code": "4/0Ax"})
    assert forged.status_code == 400
    assert forged.json()["error"]["code"] == "invalid_state"

    first = client_for(None).get(_callback_path(redirect))
    again = client_for(None).get(_callback_path(redirect))

    assert first.status_code == 200
    assert again.status_code == 400
    assert again.json()["error"]["code"] == "invalid_state"
    assert CalendarConnection.objects.count() == 1


def test_a_denied_consent_or_refused_code_is_a_clear_error(google, agent):
    client = client_for(agent)
    url = client.post(reverse("v1:calendar-google-connect")).json()["data"]["authorization_url"]
    state = parse_qs(urlsplit(url).query)["state"][0]
    denied = client_for(None).get(reverse("v1:calendar-google-callback"), {"state": state, "error": "access_denied"})
    url = client.post(reverse("v1:calendar-google-connect")).json()["data"]["authorization_url"]
    state = parse_qs(urlsplit(url).query)["state"][0]
    bad_code = client_for(None).get(reverse("v1:calendar-google-callback"), {"state": state, "code": "4/0Anever"})

    assert denied.status_code == 400
    assert denied.json()["error"]["code"] == "access_denied"
    assert bad_code.status_code == 422
    assert bad_code.json()["error"]["code"] == "calendar_provider_error"
    assert "invalid_grant" in bad_code.json()["error"]["message"]
    assert not CalendarConnection.objects.exists()


def test_connect_without_a_google_client_is_a_clear_error(google, agent, settings):
    settings.GOOGLE_CALENDAR = {**settings.GOOGLE_CALENDAR, "client_id": "", "client_secret": ""}

    response = client_for(agent).post(reverse("v1:calendar-google-connect"))

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "calendar_not_configured"


def test_an_expired_access_token_is_refreshed(connected, google, django_capture_on_commit_callbacks):
    google.expire_access_tokens()
    google.put_event(_google_event("Call the insurer", timezone.now() + timedelta(days=1)))

    connection_sync(connection_id=connected.pk)

    refresh = [r for r in google.requests_to("POST", "/token") if b"grant_type=refresh_token" in r.content]
    assert len(refresh) == 1
    assert Appointment.objects.filter(agent=connected.agent, title="Call the insurer").exists()


def test_a_revoked_grant_puts_the_connection_in_error(connected, google):
    google.expire_access_tokens()
    google.refresh_tokens.clear()  # the person removed our access in their Google account

    result = connection_sync(connection_id=connected.pk)

    connected.refresh_from_db()
    assert connected.status == "error"
    assert connected.last_error == "Calendar access was revoked or expired: connect again."
    assert result.errors


def test_disconnect_stops_the_channel_revokes_the_grant_and_forgets_the_tokens(connected, google):
    refresh, channel = connected.refresh_token, connected.channel_id

    response = client_for(connected.agent).delete(reverse("v1:calendar-google"))

    assert response.status_code == 200
    assert response.json()["data"]["status"] == "disconnected"
    assert google.revoked == [refresh]
    assert google.stopped == [{"id": channel, "resourceId": connected.channel_resource_id}]
    connected.refresh_from_db()
    assert connected.refresh_token is None
    assert connected.access_token is None
    assert connected.channel_id == ""
    again = client_for(connected.agent).delete(reverse("v1:calendar-google"))
    assert again.status_code == 404


def test_an_agent_sees_only_their_own_connection(connected, make_user):
    other = make_user("agent")

    mine = client_for(connected.agent).get(reverse("v1:calendar-google")).json()["data"]
    theirs = client_for(other).get(reverse("v1:calendar-google")).json()["data"]

    assert mine["connected"] is True
    assert mine["account_email"] == ACCOUNT
    assert "refresh_token" not in mine
    assert "access_token" not in mine
    assert theirs["connected"] is False
    assert theirs["account_email"] == ""


# --- the done-when test --------------------------------------------------------------------------------------------


def test_an_event_created_on_each_side_reaches_the_other(connected, google, django_capture_on_commit_callbacks):
    agent = connected.agent
    when = (timezone.now() + timedelta(days=2)).replace(microsecond=0)

    # Google → us: the person adds an event in Google Calendar; Google pushes a notification; we sync
    remote = google.put_event(_google_event("Coffee with Rui", when, location="Café Lisboa"))
    response = _push(google, connected, django_capture_on_commit_callbacks)

    assert response.status_code == 200
    assert response.json()["data"] == {"received": "queued"}
    pulled = Appointment.objects.get(agent=agent, title="Coffee with Rui")
    assert (pulled.start, pulled.end, pulled.location) == (when, when + timedelta(hours=1), "Café Lisboa")
    assert CalendarEventLink.objects.get(appointment=pulled).event_id == remote["id"]

    # us → Google: the agent books an appointment through the API; it is inserted after commit, marked as ours
    with django_capture_on_commit_callbacks(execute=True):
        booked = client_for(agent).post(
            reverse("v1:appointments-list"),
            {
                "title": "Policy review",
                "start": (when + timedelta(hours=3)).isoformat(),
                "end": (when + timedelta(hours=4)).isoformat(),
            },
            format="json",
        )
    assert booked.status_code == 201, booked.content
    appointment_id = booked.json()["data"]["id"]
    inserted = [e for e in google.events.values() if e.get("summary") == "Policy review"]
    assert len(inserted) == 1
    assert inserted[0]["extendedProperties"]["private"] == {PROPERTY: str(appointment_id)}
    assert inserted[0]["start"]["dateTime"] == (when + timedelta(hours=3)).astimezone(UTC).isoformat()
    insert_request = google.requests_to("POST", "/calendars/primary/events")[-1]
    assert insert_request.url.params["sendUpdates"] == "none"

    # no echo: Google notifies about our own insert; the sync sees our etag and changes nothing, writes nothing
    writes_before = len([r for r in google.requests if r.method in ("POST", "PATCH", "DELETE")])
    _push(google, connected, django_capture_on_commit_callbacks)
    assert Appointment.objects.filter(agent=agent).count() == 2
    assert len(google.events) == 2
    assert len([r for r in google.requests if r.method in ("POST", "PATCH", "DELETE")]) == writes_before
    # and the pulled appointment was never written back to Google
    assert not google.requests_to("PATCH", remote["id"])


def test_changes_and_cancellations_travel_both_ways(connected, google, django_capture_on_commit_callbacks):
    agent = connected.agent
    when = (timezone.now() + timedelta(days=3)).replace(microsecond=0)
    remote = google.put_event(_google_event("Claims call", when))
    _push(google, connected, django_capture_on_commit_callbacks)
    pulled = Appointment.objects.get(agent=agent, title="Claims call")

    # Google → us: moved by an hour, then deleted
    google.put_event({"id": remote["id"], **_google_event("Claims call (moved)", when + timedelta(hours=1))})
    _push(google, connected, django_capture_on_commit_callbacks)
    pulled.refresh_from_db()
    assert (pulled.title, pulled.start) == ("Claims call (moved)", when + timedelta(hours=1))
    google.delete_event(remote["id"])
    _push(google, connected, django_capture_on_commit_callbacks)
    pulled.refresh_from_db()
    assert pulled.status == AppointmentStatus.CANCELLED
    assert not google.requests_to("DELETE", remote["id"])  # cancelling it here did not echo a delete

    # us → Google: an appointment changed through the API is patched; cancelled, it is deleted
    mine = AppointmentFactory(agent=agent, title="Renewal chat", start=when + timedelta(days=1))
    with django_capture_on_commit_callbacks(execute=True):
        client_for(agent).put(reverse("v1:appointments-detail", args=[mine.pk]), {"location": "Porto"}, format="json")
    link = CalendarEventLink.objects.get(appointment=mine)
    assert google.events[link.event_id]["location"] == "Porto"
    with django_capture_on_commit_callbacks(execute=True):
        client_for(agent).put(reverse("v1:appointments-detail", args=[mine.pk]), {"status": "Cancelled"}, format="json")
    assert google.events[link.event_id]["status"] == "cancelled"
    assert len(google.requests_to("DELETE", link.event_id)) == 1
    _push(google, connected, django_capture_on_commit_callbacks)  # Google's notice of our own delete
    assert len(google.requests_to("DELETE", link.event_id)) == 1


# --- incremental sync ----------------------------------------------------------------------------------------------


def test_pages_are_followed_and_the_sync_token_saved_after_the_last(connected, google):
    google.page_size = 2
    soon = timezone.now() + timedelta(days=1)
    for n in range(5):
        google.put_event(_google_event(f"Visit {n}", soon + timedelta(hours=n)))
    lists_before = len(google.requests_to("GET", "/events"))

    result = connection_sync(connection_id=connected.pk)

    lists = google.requests_to("GET", "/events")[lists_before:]
    assert [r.url.params.get("pageToken") for r in lists] == [None, "pg2", "pg4"]
    assert all("syncToken" in r.url.params and "timeMin" not in r.url.params for r in lists)
    assert (result.created, result.pages, result.full) == (5, 3, False)
    connected.refresh_from_db()
    assert google.sync_tokens[connected.sync_token] == google.revision


def test_a_410_gone_starts_a_full_sync_without_duplicates(connected, google):
    soon = timezone.now() + timedelta(days=1)
    google.put_event(_google_event("Kept", soon))
    connection_sync(connection_id=connected.pk)
    google.expire_sync_tokens()
    google.put_event(_google_event("Added after", soon + timedelta(hours=2)))

    result = connection_sync(connection_id=connected.pk)

    lists = google.requests_to("GET", "/events")[-2:]
    assert "syncToken" in lists[0].url.params
    assert "syncToken" not in lists[1].url.params
    assert "timeMin" in lists[1].url.params
    assert result.full is True
    assert sorted(Appointment.objects.filter(agent=connected.agent).values_list("title", flat=True)) == [
        "Added after",
        "Kept",
    ]


def test_a_failing_google_changes_nothing_and_is_recorded(connected, google):
    token = connected.sync_token
    google.put_event(_google_event("Lost?", timezone.now() + timedelta(days=1)))
    google.fail_next.append(httpx.Response(503, json={"error": {"code": 503, "message": "Backend Error"}}))

    result = connection_sync(connection_id=connected.pk)

    connected.refresh_from_db()
    assert result.errors
    assert connected.last_error.startswith("Google Calendar answered 503")
    assert connected.sync_token == token
    assert not Appointment.objects.filter(title="Lost?").exists()
    connection_sync(connection_id=connected.pk)  # the next run catches up
    assert Appointment.objects.filter(title="Lost?").exists()


def test_appointments_booked_before_connecting_are_sent_on_the_first_sync(
    google, agent, django_capture_on_commit_callbacks
):
    earlier = AppointmentFactory(agent=agent, title="Booked before")
    client = client_for(agent)
    with django_capture_on_commit_callbacks(execute=True):
        url = client.post(reverse("v1:calendar-google-connect")).json()["data"]["authorization_url"]
        client_for(None).get(_callback_path(google.consent(url)))

    link = CalendarEventLink.objects.get(appointment=earlier)
    assert google.events[link.event_id]["summary"] == "Booked before"


# --- push notifications --------------------------------------------------------------------------------------------


def test_a_forged_push_is_refused_and_changes_nothing(connected, google, django_capture_on_commit_callbacks):
    google.put_event(_google_event("Should wait", timezone.now() + timedelta(days=1)))
    lists_before = len(google.requests_to("GET", "/events"))

    wrong_token = _push(google, connected, django_capture_on_commit_callbacks, HTTP_X_GOOG_CHANNEL_TOKEN="guess")
    unknown = _push(google, connected, django_capture_on_commit_callbacks, HTTP_X_GOOG_CHANNEL_ID="not-ours")
    wrong_resource = _push(google, connected, django_capture_on_commit_callbacks, HTTP_X_GOOG_RESOURCE_ID="other")
    with django_capture_on_commit_callbacks(execute=True):
        bare = client_for(None).post(reverse("v1:calendar-google-notifications"))

    for refused in (wrong_token, unknown, wrong_resource):
        assert refused.status_code == 403
        assert refused.json()["error"]["code"] == "forged_notification"
    assert bare.status_code == 400
    assert bare.json()["error"]["code"] == "invalid_notification"
    assert len(google.requests_to("GET", "/events")) == lists_before
    assert not Appointment.objects.filter(title="Should wait").exists()


def test_the_channels_first_sync_message_only_confirms_it(connected, google, django_capture_on_commit_callbacks):
    lists_before = len(google.requests_to("GET", "/events"))

    response = _push(google, connected, django_capture_on_commit_callbacks, HTTP_X_GOOG_RESOURCE_STATE="sync")

    assert response.status_code == 200
    assert response.json()["data"] == {"received": "sync"}
    assert len(google.requests_to("GET", "/events")) == lists_before


def test_channels_are_renewed_before_they_expire_and_the_old_one_stopped(
    connected, google, django_capture_on_commit_callbacks
):
    old_id, old_resource = connected.channel_id, connected.channel_resource_id
    old_headers = google.notification_headers(old_id)
    CalendarConnection.objects.filter(pk=connected.pk).update(channel_expires_at=timezone.now() + timedelta(hours=2))

    assert channels_renew() == 1
    assert channels_renew() == 0  # the new one is good for a week

    connected.refresh_from_db()
    watch = json.loads(google.requests_to("POST", "/events/watch")[-1].content)
    assert watch["address"] == WEBHOOK_URL
    assert watch["params"] == {"ttl": "604800"}
    assert connected.channel_id == watch["id"] != old_id
    assert connected.channel_expires_at > timezone.now() + timedelta(days=6)
    assert google.stopped == [{"id": old_id, "resourceId": old_resource}]
    with django_capture_on_commit_callbacks(execute=True):
        stale = client_for(None).post(reverse("v1:calendar-google-notifications"), **old_headers)
    assert stale.status_code == 403


# --- the sandbox (the default provider) ---------------------------------------------------------------------------


def test_the_sandbox_provider_syncs_both_ways_offline(agent, django_capture_on_commit_callbacks, settings):
    from apps.crm.calsync import provider_named

    assert settings.CRM_CALENDAR_PROVIDER == "sandbox"
    client = client_for(agent)
    with django_capture_on_commit_callbacks(execute=True):
        url = client.post(reverse("v1:calendar-google-connect")).json()["data"]["authorization_url"]
        connected = client_for(None).get(_callback_path(url))
    assert connected.status_code == 200
    assert connected.json()["data"]["provider"] == "sandbox"
    sandbox = provider_named("sandbox")
    when = (timezone.now() + timedelta(days=1)).replace(microsecond=0)

    with django_capture_on_commit_callbacks(execute=True):
        sandbox.remote_put(account_email=agent.email, event=_google_event("From my phone", when))
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("v1:appointments-list"),
            {
                "title": "From the CRM",
                "start": (when + timedelta(hours=2)).isoformat(),
                "end": (when + timedelta(hours=3)).isoformat(),
            },
            format="json",
        )

    assert Appointment.objects.filter(agent=agent, title="From my phone").exists()
    connection = CalendarConnection.objects.get(agent=agent)
    page = sandbox.list_events(access_token=connection.access_token, calendar_id="primary")
    assert sorted(e["summary"] for e in page.items) == ["From my phone", "From the CRM"]


# --- admin -----------------------------------------------------------------------------------------------------


def test_the_admin_shows_connection_status_without_tokens(connected, make_user, client):
    other_agent = make_user("agent")
    CalendarConnection.objects.create(agent=other_agent, provider="google", status="error", last_error="Revoked")
    admin = make_user("admin")

    client.force_login(admin)
    everyone = client.get(reverse("admin:crm_calendarconnection_changelist")).content.decode()
    client.force_login(connected.agent)
    own = client.get(reverse("admin:crm_calendarconnection_changelist")).content.decode()

    assert ACCOUNT in everyone
    assert "Revoked" in everyone
    assert connected.refresh_token not in everyone
    assert connected.access_token not in everyone
    assert ACCOUNT in own
    assert "Revoked" not in own


def test_the_demo_links_the_demo_agents_sandbox_calendar_both_ways(make_user, django_capture_on_commit_callbacks):
    import io

    from apps.crm.calsync import demo

    agent = make_user("agent", email="agent@example.com")
    AppointmentFactory(agent=agent, title="Booked in the CRM")
    out = io.StringIO()

    with django_capture_on_commit_callbacks(execute=True):
        demo.seed(stdout=out)
    with django_capture_on_commit_callbacks(execute=True):
        demo.seed(stdout=out)  # idempotent

    connection = CalendarConnection.objects.get(agent=agent)
    assert connection.status == "connected"
    assert connection.channel_id
    titles = set(Appointment.objects.filter(agent=agent).values_list("title", flat=True))
    assert titles == {"Booked in the CRM", "Dentist (personal)", "Lunch with a broker"}
    assert CalendarEventLink.objects.filter(connection=connection).count() == 3
    assert "already linked" in out.getvalue()


def test_the_periodic_sync_catches_up_without_a_push(connected, google):
    from apps.crm.tasks import calendar_sync_all

    google.put_event(_google_event("Missed push", timezone.now() + timedelta(days=1)))

    assert calendar_sync_all() == 1
    assert Appointment.objects.filter(agent=connected.agent, title="Missed push").exists()


def test_a_reassigned_appointment_leaves_the_previous_agents_calendar(
    connected, google, make_user, django_capture_on_commit_callbacks
):
    manager = make_user("admin")
    mine = AppointmentFactory(agent=connected.agent, title="Handover visit")
    with django_capture_on_commit_callbacks(execute=True):
        client_for(connected.agent).put(
            reverse("v1:appointments-detail", args=[mine.pk]), {"location": "Braga"}, format="json"
        )
    event_id = CalendarEventLink.objects.get(appointment=mine).event_id
    assert google.events[event_id]["status"] == "confirmed"

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(manager).put(
            reverse("v1:appointments-detail", args=[mine.pk]), {"agent_id": manager.pk}, format="json"
        )

    assert response.status_code == 200, response.content
    assert google.events[event_id]["status"] == "cancelled"
    assert not CalendarEventLink.objects.filter(appointment=mine).exists()


def test_all_day_and_zero_length_google_events_map_to_valid_appointments():
    from apps.crm.calsync.sync import _fields_from_event

    all_day = _fields_from_event(
        {"summary": "Holiday", "start": {"date": "2026-12-24"}, "end": {"date": "2026-12-26"}}, "Europe/Lisbon"
    )
    instant = _fields_from_event(
        {"start": {"dateTime": "2026-12-07T10:00:00+01:00"}, "end": {"dateTime": "2026-12-07T10:00:00+01:00"}},
        "Europe/Lisbon",
    )

    assert all_day["start"].isoformat() == "2026-12-24T00:00:00+00:00"
    assert all_day["end"] - all_day["start"] == timedelta(days=2)
    assert instant["title"] == "(no title)"
    assert instant["end"] - instant["start"] == timedelta(minutes=1)
    assert _fields_from_event({"summary": "No times"}, "Europe/Lisbon") is None


def test_when_both_sides_changed_the_later_change_wins(connected, google, django_capture_on_commit_callbacks):
    when = (timezone.now() + timedelta(days=4)).replace(microsecond=0)
    remote = google.put_event(_google_event("Budget talk", when))
    _push(google, connected, django_capture_on_commit_callbacks)
    appointment = Appointment.objects.get(title="Budget talk")
    google.put_event({"id": remote["id"], "location": "Changed in Google first"})
    # a later local change whose push failed (Google was down): it is still unsent when the sync comes
    google.fail_next.append(httpx.Response(503, json={"error": {"code": 503, "message": "Backend Error"}}))
    with django_capture_on_commit_callbacks(execute=True):
        client_for(connected.agent).put(
            reverse("v1:appointments-detail", args=[appointment.pk]), {"location": "Changed here later"}, format="json"
        )

    connection_sync(connection_id=connected.pk)

    appointment.refresh_from_db()
    assert appointment.location == "Changed here later"
    assert google.events[remote["id"]]["location"] == "Changed here later"


# --- the Google adapter's edges ------------------------------------------------------------------------------------


def _adapter(settings):
    from apps.crm.calsync.google import GoogleCalendar

    return GoogleCalendar(dict(settings.GOOGLE_CALENDAR))


def test_the_adapter_reads_googles_errors(google, settings):
    from apps.crm.calsync.base import CalendarProviderError, SyncTokenInvalid

    adapter = _adapter(settings)
    google.fail_next.append(
        httpx.Response(
            403,
            json={
                "error": {
                    "errors": [
                        {"domain": "usageLimits", "reason": "rateLimitExceeded", "message": "Rate Limit Exceeded"}
                    ],
                    "code": 403,
                    "message": "Rate Limit Exceeded",
                }
            },
        )
    )
    with pytest.raises(CalendarProviderError) as limited:
        adapter.list_events(access_token="ya29.x", calendar_id="primary")
    with pytest.raises(SyncTokenInvalid):
        adapter.list_events(access_token=_live_token(google), calendar_id="primary", sync_token="never-issued")
    with pytest.raises(CalendarProviderError, match="HTTPS"):
        adapter.watch(
            access_token="ya29.x", calendar_id="primary", channel_id="c", token="t", address="http://x", ttl=60
        )

    assert limited.value.status == 403
    assert limited.value.reason == "rateLimitExceeded"


def _live_token(google) -> str:
    token = "ya29.a0live"
    google.access_tokens[token] = datetime.now(UTC) + timedelta(hours=1)
    return token


def test_deleting_an_event_already_gone_is_done_and_a_patch_of_it_says_so(google, settings):
    from apps.crm.calsync.base import EventGone

    adapter = _adapter(settings)
    token = _live_token(google)
    event = google.put_event(_google_event("Gone soon", timezone.now() + timedelta(days=1)))
    google.delete_event(event["id"])

    adapter.delete_event(access_token=token, calendar_id="primary", event_id=event["id"])  # 410 Gone: fine
    with pytest.raises(EventGone):
        adapter.patch_event(access_token=token, calendar_id="primary", event_id="missing", body={"summary": "x"})
    request = google.requests_to("DELETE", event["id"])[0]
    assert request.url.path == f"/calendar/v3/calendars/primary/events/{event['id']}"
    assert request.headers["authorization"] == f"Bearer {token}"
