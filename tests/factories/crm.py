from datetime import timedelta

import factory
from django.utils import timezone

from apps.crm.models import (
    Activity,
    AgentCandidate,
    Appointment,
    CalendarConnection,
    CalendarEventLink,
    CalendarFeed,
    ClientLead,
    Lead,
    LeadAssignmentRule,
    LeadImport,
    LeadKind,
    LeadMerge,
    Opportunity,
    OpportunityEvent,
    RecruitLead,
    SandboxCalendarEvent,
    Task,
)
from tests.factories.accounts import TeamFactory, UserFactory
from tests.factories.customers import CustomerFactory


class LeadFactory(factory.django.DjangoModelFactory):
    """A client lead (rows are written by factories here; the services keep score and keys in step)."""

    class Meta:
        model = Lead

    kind = LeadKind.CLIENT
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.Sequence(lambda n: f"lead{n}@example.com")
    email_key = factory.LazyAttribute(lambda o: o.email)
    phone = factory.Sequence(lambda n: f"+35192{n:07d}")
    phone_key = factory.LazyAttribute(lambda o: o.phone[-9:])
    source = "Website"
    score = 30


class ClientLeadFactory(LeadFactory):
    class Meta:
        model = ClientLead


class RecruitLeadFactory(LeadFactory):
    class Meta:
        model = RecruitLead

    kind = LeadKind.RECRUIT
    licensed = True
    years_experience = 3


class OpportunityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Opportunity

    title = factory.Sequence(lambda n: f"Home cover {n}")
    customer = factory.SubFactory(CustomerFactory)
    agent = factory.SubFactory(UserFactory)
    value = 850


class OpportunityEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OpportunityEvent

    opportunity = factory.SubFactory(OpportunityFactory)
    from_stage = "New"
    to_stage = "Quoted"


class AgentCandidateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AgentCandidate

    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.Sequence(lambda n: f"candidate{n}@example.com")
    recruiter = factory.SubFactory(UserFactory)


class ActivityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Activity

    kind = "call"
    subject = "Intro call"
    body = "Talked about home cover."
    lead = factory.SubFactory(LeadFactory)
    author = factory.SubFactory(UserFactory)


class TaskFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Task

    title = factory.Sequence(lambda n: f"Follow up {n}")
    assignee = factory.SubFactory(UserFactory)
    due_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=1))


class AppointmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Appointment

    title = factory.Sequence(lambda n: f"Review meeting {n}")
    agent = factory.SubFactory(UserFactory)
    start = factory.LazyFunction(lambda: timezone.now() + timedelta(days=1))
    end = factory.LazyAttribute(lambda o: o.start + timedelta(hours=1))


class LeadAssignmentRuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LeadAssignmentRule

    team = factory.SubFactory(TeamFactory)


class CalendarFeedFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CalendarFeed

    agent = factory.SubFactory(UserFactory)
    nonce = factory.Sequence(lambda n: f"{n:032x}")


class LeadMergeFactory(factory.django.DjangoModelFactory):
    """A live merge of a duplicate into another lead (nothing moved); build it with the service for real moves."""

    class Meta:
        model = LeadMerge

    lead = factory.SubFactory(ClientLeadFactory, merged_at=factory.LazyFunction(timezone.now))
    into_lead = factory.SubFactory(ClientLeadFactory)
    actor = factory.SubFactory(UserFactory, role="agent")
    moved = factory.LazyFunction(lambda: {"activities": [], "tasks": [], "appointments": []})
    undo_until = factory.LazyFunction(lambda: timezone.now() + timedelta(hours=72))


class LeadImportFactory(factory.django.DjangoModelFactory):
    """A bulk import with one rejected row."""

    class Meta:
        model = LeadImport

    kind = LeadKind.CLIENT
    file_name = "leads.csv"
    file_sha256 = factory.Sequence(lambda n: f"{n:064x}")
    actor = factory.SubFactory(UserFactory, role="agent")
    total_rows = 2
    created_count = 1
    failed = 1
    headers = factory.LazyFunction(lambda: ["Name", "Email"])
    rejected = factory.LazyFunction(lambda: [{"row": 3, "cells": ["", "x@example.com"], "reason": "No name"}])


class CalendarConnectionFactory(factory.django.DjangoModelFactory):
    """An agent's linked sandbox calendar (the connect flow writes real ones: apps.crm.calsync.sync)."""

    class Meta:
        model = CalendarConnection

    agent = factory.SubFactory(UserFactory, role="agent")
    provider = "sandbox"
    status = "connected"
    refresh_token = factory.Sequence(lambda n: f"refresh-{n}")
    connected_at = factory.LazyFunction(timezone.now)


class CalendarEventLinkFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CalendarEventLink

    connection = factory.SubFactory(CalendarConnectionFactory)
    appointment = factory.SubFactory(AppointmentFactory, agent=factory.SelfAttribute("..connection.agent"))
    event_id = factory.Sequence(lambda n: f"evt{n:06d}")
    etag = '"1"'


class SandboxCalendarEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SandboxCalendarEvent

    calendar_key = factory.Sequence(lambda n: f"agent{n}@example.com/primary")
    event_id = factory.Sequence(lambda n: f"sbx{n:06d}")
    revision = factory.Sequence(lambda n: n + 1)
    resource = factory.LazyFunction(lambda: {"kind": "calendar#event", "status": "confirmed", "summary": "Call"})
