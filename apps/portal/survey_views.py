"""The survey page a signed link opens (no sign-in: the link is the credential). One page, five states: the
questions (with each refused answer named beside its question), thank you, already answered, expired or closed,
and not valid (a forged link or another survey's: 404). Every rule is the campaigns app's services'."""

from django.core.exceptions import ValidationError
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from apps.campaigns.services import surveys as survey_services
from apps.core.exceptions import Conflict, NotFound
from apps.core.net import client_ip

from .throttling import rate_limited

SCALE_ENDS = {"nps": ("Not at all likely", "Extremely likely"), "csat": ("Very dissatisfied", "Very satisfied")}


def _answers_from(post, questions: list[dict]) -> dict:
    answers = {}
    for question in questions:
        name = f"q_{question['id']}"
        if question["type"] == "multiple_choice":
            values = post.getlist(name)
            if values:
                answers[question["id"]] = values
        elif post.get(name, "") != "":
            answers[question["id"]] = post.get(name)
    return answers


def _rows(questions: list[dict], given: dict, problems: dict) -> list[dict]:
    """Each question with what the template needs: its choices, what was picked, its error."""
    rows = []
    for question in questions:
        kind = question["type"]
        if kind in ("nps", "csat", "rating"):
            low, high = {"nps": (0, 10), "csat": (1, 5)}.get(kind, (question.get("min", 1), question.get("max", 5)))
            choices = [str(n) for n in range(low, high + 1)]
        else:
            choices = question.get("options", [])
        value = given.get(question["id"])
        picked = {str(v) for v in value} if isinstance(value, list) else ({str(value)} if value is not None else set())
        rows.append(
            {
                **question,
                "choices": choices,
                "picked": picked,
                "value": value if isinstance(value, str) else "",
                "error": " ".join(problems.get(question["id"], [])),
                "ends": SCALE_ENDS.get(kind, ("", "") if kind != "rating" else ("Poor", "Excellent")),
            }
        )
    return rows


@never_cache
@rate_limited("api_general")
def survey_answer(request, pk: int, token: str):
    try:
        invitation = survey_services.invitation_open(survey_id=pk, token=token)
    except NotFound:
        return render(request, "portal/survey.html", {"state": "invalid"}, status=404)
    version = invitation.version
    state = survey_services.invitation_state(invitation)
    context = {"invitation": invitation, "survey": version, "state": state, "intro": version.settings.get("intro", "")}
    if state != "open":
        return render(request, "portal/survey.html", context, status=409 if request.method == "POST" else 200)
    given, problems, status = {}, {}, 200
    if request.method == "POST":
        given = _answers_from(request.POST, version.questions)
        try:
            survey_services.response_submit(
                invitation=invitation,
                answers=given,
                completion_time=survey_services.completion_seconds(request.POST.get("started", "")),
                ip_address=client_ip(request),
                user_agent=request.META.get("HTTP_USER_AGENT", ""),
            )
        except ValidationError as exc:
            problems = exc.message_dict if hasattr(exc, "error_dict") else {"responses": exc.messages}
            status = 400
        except Conflict:  # answered in another tab a moment ago
            invitation.refresh_from_db()
            context["state"] = survey_services.invitation_state(invitation)
            return render(request, "portal/survey.html", context, status=409)
        else:
            context["state"] = "thanks"
            context["thank_you"] = version.settings.get("thank_you") or "Thank you: your answers help us do better."
            return render(request, "portal/survey.html", context)
    context.update(
        rows=_rows(version.questions, given, problems),
        general_errors=problems.get("responses", []),
        error_count=len(problems),
        started=request.POST.get("started") or survey_services.started_token(),
    )
    return render(request, "portal/survey.html", context, status=status)
