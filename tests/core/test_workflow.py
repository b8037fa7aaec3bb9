"""The workflow helper on a toy table: which moves it allows whom, and which error each refusal is, in order."""

from types import SimpleNamespace

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from apps.core.exceptions import Conflict
from apps.core.workflow import Guard, Transition, Workflow, role_required

ADMIN, CLERK, GUEST = "admin", "clerk", "guest"


def unlocked(user, door) -> bool:
    return not door.locked


DOOR = Workflow(
    "door",
    [
        Transition("open", sources={"shut"}, target="open", roles={ADMIN, CLERK}, guards=[Guard(unlocked, "Locked.")]),
        Transition("shut", sources={"open"}, target="shut", roles={ADMIN, CLERK, GUEST}),
        Transition(
            "brick_up",
            sources={"open", "shut"},
            target="walled",
            roles={ADMIN},
            reason_required="Say why.",
            guards=[Guard(lambda user, door: door.owner != "bank", lambda door: f"{door.owner} says no.", True)],
        ),
    ],
)


def door(state="shut", *, locked=False, owner="me"):
    return SimpleNamespace(status=state, locked=locked, owner=owner)


def person(role):
    return SimpleNamespace(role=role)


def test_allowed_is_state_role_and_guards_together():
    assert DOOR.allowed(person(ADMIN), door("shut")) == ["open", "brick_up"]
    assert DOOR.allowed(person(CLERK), door("shut")) == ["open"]
    assert DOOR.allowed(person(CLERK), door("shut", locked=True)) == []
    assert DOOR.allowed(person(GUEST), door("open")) == ["shut"]
    assert DOOR.allowed(person(ADMIN), door("open", owner="bank")) == ["shut"]
    assert DOOR.allowed(None, door("shut")) == ["open", "brick_up"]  # the system: no role to check
    assert DOOR.allowed(person(ADMIN), door("walled")) == []


def test_an_illegal_move_is_a_409_listing_the_moves_possible_from_the_state_whoever_asks():
    with pytest.raises(Conflict) as caught:
        DOOR.check(person(GUEST), door("shut"), "shut")
    with pytest.raises(Conflict) as unknown:
        DOOR.check(person(ADMIN), door("walled"), "fly")

    assert caught.value.message == "A shut door cannot make the move 'shut'."
    assert caught.value.details == {"status": "shut", "allowed": ["brick_up", "open"]}
    assert unknown.value.details == {"status": "walled", "allowed": []}


def test_then_the_role_then_the_guards_then_the_reason():
    with pytest.raises(PermissionDenied, match=r"^Your role cannot do that: brick_up\.$"):
        DOOR.check(person(CLERK), door("shut", owner="bank"), "brick_up")  # role before the guard and the reason
    with pytest.raises(PermissionDenied, match=r"^Locked\.$"):
        DOOR.check(person(CLERK), door("shut", locked=True), "open")
    with pytest.raises(Conflict, match=r"^bank says no\.$"):
        DOOR.check(person(ADMIN), door("shut", owner="bank"), "brick_up")  # a guard on the state: 409
    with pytest.raises(ValidationError) as no_reason:
        DOOR.check(person(ADMIN), door("shut"), "brick_up", reason="  ")

    assert no_reason.value.message_dict == {"note": ["Say why."]}
    assert DOOR.check(person(ADMIN), door("shut"), "brick_up", reason="Draughty").target == "walled"
    assert DOOR.check(None, door("shut"), "open").target == "open"


def test_options_word_the_errors_and_name_the_fields():
    policy = Workflow(
        "policy",
        [Transition("cancel", sources={"active"}, target="cancelled", roles={ADMIN}, reason_required="Why?")],
        state_field="state",
        reason_field="reason",
        allowed_key="allowed_actions",
        conflict_message=lambda obj, move: f"A {obj.state} policy cannot be {move}led.",
        denied_message=lambda t: f"Only administrators {t.name}.",
    )
    thing = SimpleNamespace(state="active")

    with pytest.raises(Conflict) as caught:
        policy.check(person(ADMIN), SimpleNamespace(state="cancelled"), "cancel")
    with pytest.raises(PermissionDenied, match=r"^Only administrators cancel\.$"):
        policy.check(person(CLERK), thing, "cancel")
    with pytest.raises(ValidationError) as no_reason:
        policy.check(person(ADMIN), thing, "cancel")

    assert caught.value.message == "A cancelled policy cannot be cancelled."
    assert caught.value.details == {"state": "cancelled", "allowed_actions": []}
    assert no_reason.value.message_dict == {"reason": ["Why?"]}


def test_the_table_answers_questions_about_itself():
    assert DOOR.moves == ["brick_up", "open", "shut"]
    assert DOOR.roles == {ADMIN, CLERK, GUEST}
    assert DOOR.moves_from("open") == ["brick_up", "shut"]
    assert DOOR.targets_from("open") == {"shut", "walled"}
    assert DOOR.transition("open").sources == frozenset({"shut"})
    assert DOOR.transition("fly") is None
    with pytest.raises(ValueError, match="declares a move twice"):
        Workflow("twice", [Transition("a", sources={"x"}, target="y", roles={ADMIN})] * 2)


def test_role_required_for_actions_that_are_not_moves():
    role_required(person(ADMIN), {ADMIN}, "No.")
    role_required(None, {ADMIN}, "No.")
    with pytest.raises(PermissionDenied, match=r"^No\.$"):
        role_required(person(GUEST), {ADMIN, CLERK}, "No.")
