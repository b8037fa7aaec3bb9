"""Task reminders (beat `crm.task_reminders`): sent once at remind_at, through notifications, again only if moved."""

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.accounts.roles import Role
from apps.crm import services
from apps.crm.models import Task
from apps.notifications.models import Notification, NotificationPreference
from tests.factories.accounts import UserFactory
from tests.factories.crm import TaskFactory

pytestmark = pytest.mark.django_db


def test_due_reminders_are_sent_once_to_the_assignee_in_app_and_by_email_when_wanted(
    django_capture_on_commit_callbacks, mailoutbox
):
    now = timezone.now()
    agent = UserFactory(role=Role.AGENT)
    NotificationPreference.objects.create(user=agent, email={"reminder": True})
    due = TaskFactory(assignee=agent, title="Call Ana back", remind_at=now - timedelta(minutes=1), due_at=now)
    TaskFactory(assignee=agent, remind_at=now + timedelta(hours=1), due_at=now + timedelta(hours=2))  # not yet
    TaskFactory(assignee=agent, remind_at=now - timedelta(hours=1), status="Completed", completed_at=now)  # done
    TaskFactory(assignee=agent, remind_at=None)

    with django_capture_on_commit_callbacks(execute=True):
        first = services.task_reminders_send(now=now)
    again = services.task_reminders_send(now=now + timedelta(minutes=1))

    assert (first, again) == (1, 0)
    notes = list(Notification.objects.filter(user=agent))
    assert [(n.type, n.title, n.data["task_id"]) for n in notes] == [("reminder", "Reminder: Call Ana back", due.pk)]
    assert [m.to for m in mailoutbox] == [[agent.email]]
    assert "Call Ana back" in mailoutbox[0].subject
    assert Task.objects.get(pk=due.pk).reminded_at == now


def test_a_task_given_a_new_reminder_time_is_reminded_again_and_a_lost_stamp_sends_nothing_twice():
    now = timezone.now()
    agent = UserFactory(role=Role.AGENT)
    task = TaskFactory(assignee=agent, remind_at=now - timedelta(minutes=5), due_at=now + timedelta(days=1))
    services.task_reminders_send(now=now)

    services.task_update(task=task, actor=agent, remind_at=now + timedelta(minutes=10))
    services.task_reminders_send(now=now + timedelta(minutes=11))
    Task.objects.filter(pk=task.pk).update(reminded_at=None)  # as if a worker died after notifying
    retried = services.task_reminders_send(now=now + timedelta(minutes=12))

    assert Notification.objects.filter(user=agent, type="reminder").count() == 2
    assert retried == 0  # the dedupe key of (task, reminder time) holds
