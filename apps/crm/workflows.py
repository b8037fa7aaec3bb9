"""The CRM's state machines (apps.core.workflow): lead status, opportunity stage, candidate stage.

Moves are named after the state they reach, so `PUT /leads/{id}` with `{"status": "Lost"}` and
`PUT /opportunities/{id}` with `{"stage": "Quoted"}` (seed 004) name their move by the target.
Decisions: agents work their own leads and deals through every move; reopening a lost lead or deal, and
withdrawing a contracted candidate, are for managers and admins. A lead becomes Converted only through the
convert endpoints (they create the contact and the deal in the same transaction).
"""

from apps.accounts.roles import Role
from apps.core.workflow import Transition, Workflow

from .models import OPEN_LEAD_STATUSES, OPEN_STAGES, CandidateStage, LeadStatus, OpportunityStage

WORKERS = {Role.ADMIN, Role.MANAGER, Role.AGENT}
SUPERVISORS = {Role.ADMIN, Role.MANAGER}

LEAD_WORKFLOW = Workflow(
    "lead",
    [
        Transition(
            "Contacted", sources={LeadStatus.NEW, LeadStatus.QUALIFIED}, target=LeadStatus.CONTACTED, roles=WORKERS
        ),
        Transition(
            "Qualified", sources={LeadStatus.NEW, LeadStatus.CONTACTED}, target=LeadStatus.QUALIFIED, roles=WORKERS
        ),
        Transition("Converted", sources=set(OPEN_LEAD_STATUSES), target=LeadStatus.CONVERTED, roles=WORKERS),
        Transition(
            "Lost",
            sources=set(OPEN_LEAD_STATUSES),
            target=LeadStatus.LOST,
            roles=WORKERS,
            reason_required="Say why the lead was lost.",
        ),
        Transition("New", sources={LeadStatus.LOST}, target=LeadStatus.NEW, roles=SUPERVISORS),
    ],
    reason_field="lost_reason",
    conflict_message=lambda lead, move: f"A {lead.status} lead cannot become {move}.",
)

OPPORTUNITY_WORKFLOW = Workflow(
    "opportunity",
    [
        *[
            Transition(stage.value, sources=set(OPEN_STAGES) - {stage}, target=stage, roles=WORKERS)
            for stage in OPEN_STAGES
            if stage != OpportunityStage.NEW
        ],
        Transition(
            OpportunityStage.NEW,
            sources=(set(OPEN_STAGES) - {OpportunityStage.NEW}) | {OpportunityStage.LOST},
            target=OpportunityStage.NEW,
            roles=WORKERS,
        ),
        Transition(OpportunityStage.WON, sources=set(OPEN_STAGES), target=OpportunityStage.WON, roles=WORKERS),
        Transition(
            OpportunityStage.LOST,
            sources=set(OPEN_STAGES),
            target=OpportunityStage.LOST,
            roles=WORKERS,
            reason_required="Say why the deal was lost.",
        ),
    ],
    state_field="stage",
    reason_field="lost_reason",
    conflict_message=lambda opp, move: f"An opportunity in stage {opp.stage} cannot move to {move}.",
)

CANDIDATE_WORKFLOW = Workflow(
    "candidate",
    [
        Transition(
            CandidateStage.INTERVIEWING,
            sources={CandidateStage.APPLIED},
            target=CandidateStage.INTERVIEWING,
            roles=WORKERS,
        ),
        Transition(
            CandidateStage.LICENSING,
            sources={CandidateStage.INTERVIEWING},
            target=CandidateStage.LICENSING,
            roles=WORKERS,
        ),
        Transition(
            CandidateStage.CONTRACTED,
            sources={CandidateStage.LICENSING},
            target=CandidateStage.CONTRACTED,
            roles=SUPERVISORS,
        ),
        Transition(
            CandidateStage.WITHDRAWN,
            sources={CandidateStage.APPLIED, CandidateStage.INTERVIEWING, CandidateStage.LICENSING},
            target=CandidateStage.WITHDRAWN,
            roles=WORKERS,
        ),
    ],
    state_field="stage",
)
