"""SLA state of a ticket, replayed from its own history (TicketActivity rows), never from a stored counter.

Three targets, each a clock that runs in business time (or around the clock, as its policy says):

- first_response: from opening until staff's first public reply;
- next_reply: from a customer's message (after the first response) until staff's next public reply;
- resolution: from opening (or reopening) until resolved.

Every clock pauses while the ticket is pending the customer or a third party and resumes when it is not. A clock
is breached when it has run longer than its target. The targets in force are those stored on the history
(`sla_terms`, written on opening and on each priority change), so editing a policy never rewrites the past.

Decisions: a priority change applies the new targets to the time already run (as if the ticket had had that
priority all along); a reopened ticket starts fresh next-reply and resolution clocks.
"""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from .business_time import Calendar, Clock, service_calendar
from .models import PAUSED_STATUSES, SlaPolicy, TicketActivity, TicketStatus

K = TicketActivity.Kind
TARGETS = ("first_response", "next_reply", "resolution")
_TERM_KEY = {"first_response": "first_response", "next_reply": "next_reply", "resolution": "resolution"}


def terms_of(policy: SlaPolicy | None) -> dict | None:
    """What an event stores of a policy: its targets in seconds and whether they count business hours."""
    if policy is None:
        return None
    return {
        "policy_id": policy.pk,
        "first_response": policy.first_response_minutes * 60,
        "next_reply": policy.next_reply_minutes * 60,
        "resolution": policy.resolution_minutes * 60,
        "business_hours": policy.business_hours,
    }


def policy_for(*, priority: str, category: str) -> SlaPolicy | None:
    """The category's own active policy for the priority, else the priority's general one."""
    candidates = {p.category: p for p in SlaPolicy.objects.filter(is_active=True, priority=priority)}
    return candidates.get(category) or candidates.get("")


@dataclass
class TargetClock:
    name: str
    started_event_id: int | None
    target: float
    elapsed: float = 0.0  # seconds run before `running_since`
    running_since: dt.datetime | None = None


@dataclass
class TargetState:
    name: str
    target_seconds: int
    elapsed_seconds: int
    due_at: dt.datetime | None  # None while paused
    remaining_seconds: int
    breached: bool
    paused: bool
    cycle: int | None  # the event that started this clock (what an alert's key names)


@dataclass
class SlaState:
    state: str  # on_track | at_risk | breached | paused | met | none
    targets: list[TargetState] = field(default_factory=list)
    breached: bool = False  # a target was missed at some point, running or stopped
    due_at: dt.datetime | None = None
    target: str = ""
    paused: bool = False
    remaining_seconds: int | None = None


class Replay:
    """Walks a ticket's events in order; `snapshot(at)` is the state at any instant after the last event."""

    def __init__(self, calendar: Calendar | None = None):
        self.calendar = calendar or service_calendar()
        self.clocks: dict[str, TargetClock] = {}
        self.terms: dict | None = None
        self.status: str = ""
        self.breached = False

    def _meter(self):
        if self.terms and not self.terms.get("business_hours", True):
            return Clock
        return self.calendar

    def _start(self, name: str, at: dt.datetime, event_id: int | None) -> None:
        if self.terms is None:
            return
        paused = self.status in PAUSED_STATUSES
        self.clocks[name] = TargetClock(name, event_id, float(self.terms[name]), 0.0, None if paused else at)

    def _stop(self, name: str, at: dt.datetime) -> None:
        clock = self.clocks.pop(name, None)
        if clock is not None and self._elapsed(clock, at) > clock.target:
            self.breached = True

    def _elapsed(self, clock: TargetClock, at: dt.datetime) -> float:
        if clock.running_since is None:
            return clock.elapsed
        return clock.elapsed + self._meter().seconds_between(clock.running_since, at)

    def apply(self, event) -> None:
        at = event.occurred_at
        previous = self.status
        for clock in self.clocks.values():  # a breach between events counts even if the clock stops now
            if self._elapsed(clock, at) > clock.target:
                self.breached = True
        if event.sla_terms is not None or event.kind == K.CREATED:
            self.terms = event.sla_terms
            for clock in self.clocks.values():
                clock.target = float(self.terms[clock.name]) if self.terms else clock.target
        if event.kind == K.CREATED:
            self.status = event.status
            self._start("first_response", at, event.pk)
            self._start("resolution", at, event.pk)
        elif event.kind == K.STAFF_REPLY:
            self._stop("first_response", at)
            self._stop("next_reply", at)
        elif event.kind == K.CUSTOMER_MESSAGE and (
            previous not in (TicketStatus.RESOLVED, TicketStatus.CLOSED)
            and "first_response" not in self.clocks
            and "next_reply" not in self.clocks
        ):
            self._start("next_reply", at, event.pk)
        new = event.status
        if new != previous and event.kind != K.CREATED:
            if new in PAUSED_STATUSES and previous not in PAUSED_STATUSES:
                for clock in self.clocks.values():
                    if clock.running_since is not None:
                        clock.elapsed = self._elapsed(clock, at)
                        clock.running_since = None
            elif new not in PAUSED_STATUSES and previous in PAUSED_STATUSES:
                for clock in self.clocks.values():
                    if clock.running_since is None:
                        clock.running_since = at
            if new in (TicketStatus.RESOLVED, TicketStatus.CLOSED):
                for name in list(self.clocks):
                    self._stop(name, at)
            elif previous in (TicketStatus.RESOLVED, TicketStatus.CLOSED):  # reopened
                self.status = new
                self._start("next_reply", at, event.pk)
                self._start("resolution", at, event.pk)
        self.status = new

    def snapshot(self, at: dt.datetime, *, warn: dt.timedelta | None = None) -> SlaState:
        targets = []
        for name in TARGETS:
            clock = self.clocks.get(name)
            if clock is None:
                continue
            elapsed = self._elapsed(clock, at)
            remaining = clock.target - elapsed
            due = None
            if clock.running_since is not None:
                # the deadline is where the clock runs out from where it (last) started running
                due = self._meter().add(clock.running_since, clock.target - clock.elapsed)
                if clock.target - clock.elapsed <= 0:
                    due = clock.running_since
            targets.append(
                TargetState(
                    name=name,
                    target_seconds=int(clock.target),
                    elapsed_seconds=int(elapsed),
                    due_at=due,
                    remaining_seconds=int(remaining),
                    breached=remaining < 0 or (due is not None and due <= at),
                    paused=clock.running_since is None,
                    cycle=clock.started_event_id,
                )
            )
        breached = self.breached or any(t.breached for t in targets)
        result = SlaState(state="none", targets=targets, breached=breached)
        running = [t for t in targets if t.due_at is not None]
        if running:
            first = min(running, key=lambda t: t.due_at)  # type: ignore[arg-type, return-value]  # filtered above
            result.due_at, result.target = first.due_at, first.name
        if targets and all(t.paused for t in targets):
            result.paused = True
            result.remaining_seconds = min(t.remaining_seconds for t in targets)
            result.target = min(targets, key=lambda t: t.remaining_seconds).name
        if any(t.breached for t in targets):
            result.state = "breached"
        elif result.paused:
            result.state = "paused"
        elif result.due_at is not None:
            result.state = "at_risk" if warn is not None and result.due_at - at <= warn else "on_track"
        elif self.status in (TicketStatus.RESOLVED, TicketStatus.CLOSED):
            result.state = "breached" if breached else "met"
        return result


def replay(events: Iterable, *, calendar: Calendar | None = None) -> Replay:
    walker = Replay(calendar)
    for event in events:
        walker.apply(event)
    return walker


def sla_state(events: Iterable, *, at: dt.datetime, warn: dt.timedelta | None = None) -> SlaState:
    """The SLA state at `at` from a ticket's events, oldest first."""
    return replay(events).snapshot(at, warn=warn)
