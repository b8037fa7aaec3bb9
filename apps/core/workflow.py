"""One way to declare and enforce a workflow: which moves exist, from where, to where, who may make them, whether
a reason is required, and what else must hold (guards).

A workflow is a table of `Transition`s. Services call `check()` under the row lock before they change anything;
screens call `allowed()` to offer only the moves this person may make now; API views take the roles from
`Workflow.roles` instead of declaring their own. Every refusal is one of the project's errors, in this order:

1. the move is not possible from the object's state → 409 `Conflict`, listing the moves possible from it;
2. the person's role may not make it → 403 `PermissionDenied`;
3. a guard fails → 403 (who is asking) or 409 (the object's state), with the guard's message;
4. a reason is required and missing → 400 `ValidationError` on the reason field.

`user=None` is the system acting on its own schedule (beat jobs): roles are not checked, state and guards are.

    CASE_WORKFLOW = Workflow(
        "case",
        [
            Transition("start", sources={"new"}, target="in_progress", roles={ADMIN, AGENT}),
            Transition("close", sources={"new", "in_progress"}, target="closed", roles={ADMIN}, reason_required="Why?"),
        ],
    )
    CASE_WORKFLOW.check(user, case, "close", reason=note)  # raises, or returns the Transition
"""

from collections.abc import Callable, Iterable, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError

# The one import of the API layer's conflict error; it moves to apps.core.exceptions with the domain errors.
from apps.core.exceptions import Conflict


@dataclass(frozen=True)
class Guard:
    """A condition on (user, obj) beyond state and role. `message` is a string or a callable of obj; `conflict`
    says the refusal is about the object's state (409) rather than about who asks (403)."""

    test: Callable[[Any, Any], bool]
    message: str | Callable[[Any], str]
    conflict: bool = False

    def refusal(self, obj: Any) -> Exception:
        message = self.message(obj) if callable(self.message) else self.message
        return Conflict(message) if self.conflict else PermissionDenied(message)


@dataclass(frozen=True)
class Transition:
    """One move: its name, the states it starts from, the state it ends in, the roles that may make it, the
    prompt for a missing reason (empty: no reason needed), its guards, and the 403 message (empty: the
    workflow's default)."""

    name: str
    sources: AbstractSet[str]
    target: str
    roles: AbstractSet[str]
    reason_required: str = ""
    guards: Sequence[Guard] = ()
    denied: str = ""

    def __post_init__(self):
        # Accept any iterables in the declaration; keep immutable sets.
        object.__setattr__(self, "sources", frozenset(self.sources))
        object.__setattr__(self, "roles", frozenset(self.roles))
        object.__setattr__(self, "guards", tuple(self.guards))


class Workflow:
    """A table of transitions over `state_field`. `conflict_message(obj, move)` words the 409 and
    `allowed_key` names its list of possible moves in the error details (`{state_field: ..., allowed_key: [...]}`);
    `reason_field` is the field a missing reason is reported on; `denied_message(transition)` words the 403."""

    def __init__(
        self,
        noun: str,
        transitions: Iterable[Transition],
        *,
        state_field: str = "status",
        reason_field: str = "note",
        allowed_key: str = "allowed",
        conflict_message: Callable[[Any, str], str] | None = None,
        denied_message: Callable[[Transition], str] | None = None,
    ):
        self.noun = noun
        self.transitions = tuple(transitions)
        self.state_field = state_field
        self.reason_field = reason_field
        self.allowed_key = allowed_key
        self.conflict_message = conflict_message
        self.denied_message = denied_message
        self._by_name = {t.name: t for t in self.transitions}
        if len(self._by_name) != len(self.transitions):
            raise ValueError(f"The {noun} workflow declares a move twice.")

    @property
    def moves(self) -> list[str]:
        return sorted(self._by_name)

    @property
    def roles(self) -> frozenset[str]:
        """Every role that may make at least one move: what an endpoint that makes moves lets through."""
        return frozenset().union(*(t.roles for t in self.transitions))

    def transition(self, move: str) -> Transition | None:
        return self._by_name.get(move)

    def moves_from(self, state: str) -> list[str]:
        """The moves possible from `state`, whoever asks (what a 409 lists)."""
        return sorted(t.name for t in self.transitions if state in t.sources)

    def targets_from(self, state: str) -> set[str]:
        return {t.target for t in self.transitions if state in t.sources}

    def allowed(self, user, obj) -> list[str]:
        """The moves `user` may make on `obj` now: possible from its state, open to the user's role, every guard
        passing, in the order the table declares them. A required reason is not asked for here (it comes with the
        move)."""
        state = getattr(obj, self.state_field)
        return [
            t.name
            for t in self.transitions
            if state in t.sources and self._role_ok(user, t) and all(g.test(user, obj) for g in t.guards)
        ]

    def check(self, user, obj, move: str, reason: str = "") -> Transition:
        """Refuse the move with the project's error (see the module docstring), or return its Transition."""
        state = getattr(obj, self.state_field)
        transition = self._by_name.get(move)
        if transition is None or state not in transition.sources:
            message = (
                self.conflict_message(obj, move)
                if self.conflict_message
                else f"A {state} {self.noun} cannot make the move '{move}'."
            )
            raise Conflict(message, details={self.state_field: state, self.allowed_key: self.moves_from(state)})
        if not self._role_ok(user, transition):
            raise PermissionDenied(
                transition.denied
                or (self.denied_message(transition) if self.denied_message else f"Your role cannot do that: {move}.")
            )
        for guard in transition.guards:
            if not guard.test(user, obj):
                raise guard.refusal(obj)
        if transition.reason_required and not (reason or "").strip():
            raise ValidationError({self.reason_field: [transition.reason_required]})
        return transition

    @staticmethod
    def _role_ok(user, transition: Transition) -> bool:
        return user is None or user.role in transition.roles


def role_required(user, roles: Iterable[str], message: str) -> None:
    """For actions that are not moves (assign, pay, decide): refuse a role outside `roles` with a 403. Declare
    the roles once, next to the service, and let the API's permission class read the same set."""
    if user is not None and user.role not in roles:
        raise PermissionDenied(message)
