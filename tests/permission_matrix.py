"""The expected access of every API endpoint, per role. Later capabilities add their endpoints here.

Independent of the views' own permission classes on purpose: the test compares what the API does
with what this table (derived from seed 003's permission matrix) says it must do.
"""

from apps.accounts.roles import Role

PUBLIC = "public"  # anyone, anonymous included
SIGNED_IN = frozenset(Role.values)  # any role

A, M, AG, AS, V, C = (Role.ADMIN, Role.MANAGER, Role.AGENT, Role.ASSESSOR, Role.VIEWER, Role.CUSTOMER)
STAFF = frozenset({A, M, AG, AS, V})

# url name -> {HTTP method -> PUBLIC | roles allowed}
ENDPOINTS: dict[str, dict[str, object]] = {
    "v1:api-root": {"GET": PUBLIC},
    "api-root-bare": {"GET": PUBLIC},  # /api/v1 without its slash (APPEND_SLASH would redirect a write)
    "api-schema": {"GET": PUBLIC},
    "api-docs": {"GET": PUBLIC},
    "v1:auth-login": {"POST": PUBLIC},
    "v1:auth-refresh": {"POST": PUBLIC},
    "v1:auth-register": {"POST": PUBLIC},
    "v1:auth-forgot-password": {"POST": PUBLIC},
    "v1:auth-reset-password": {"POST": PUBLIC},
    "v1:auth-config": {"GET": PUBLIC},
    "v1:auth-mfa-verify": {"POST": PUBLIC},
    "v1:auth-logout": {"POST": SIGNED_IN},
    "v1:auth-me": {"GET": SIGNED_IN, "PATCH": SIGNED_IN},
    "v1:auth-change-password": {"POST": SIGNED_IN},
    "v1:auth-mfa-setup": {"POST": SIGNED_IN},
    "v1:users-list": {"GET": {A, M}, "POST": {A}},
    "v1:users-detail": {"GET": {A, M}, "PATCH": {A}, "DELETE": {A}},
    "v1:teams-list": {"GET": STAFF, "POST": {A}},
    "v1:teams-members": {"PUT": {A, M}},
    "v1:branches-list": {"GET": STAFF},
    "v1:audit-security-events": {"GET": {A}},
    "v1:audit-changes": {"GET": {A}},
    # customers (seed 000) and contacts (seed 004)
    "v1:customers-list": {"GET": {A, M, AG}, "POST": {A, M, AG}},
    "v1:customers-me": {"GET": {C}, "PATCH": {C}},
    "v1:customers-me-export": {"GET": {C}},
    "v1:customers-detail": {"GET": {A, M, AG, C}, "PUT": {A, M, AG, C}, "PATCH": {A, M, AG, C}, "DELETE": {A, M, AG}},
    "v1:customers-export": {"GET": {A, M}},
    "v1:customers-erase": {"POST": {A}},
    "v1:customers-restore": {"POST": {A}},
    "v1:customers-interactions": {"GET": {A, M, AG}, "POST": {A, M, AG}},
    "v1:customers-interaction-detail": {"GET": {A, M, AG}, "PUT": {A, M, AG}, "DELETE": {A}},
    "v1:contacts-list": {"GET": {A, M, AG}, "POST": {A, M, AG}},
    "v1:contacts-detail": {"GET": {A, M, AG}, "PUT": {A, M, AG}},
    # documents (seed 000 customer documents, seed 001 documents, seed 003 files)
    "v1:customers-documents": {"GET": {A, M, AG, AS, V, C}, "POST": {A, M, AG, AS, C}},
    "v1:customers-document-detail": {"GET": {A, M, AG, AS, V, C}, "DELETE": {A, M, AG, AS, C}},
    "v1:customers-document-download": {"GET": {A, M, AG, AS, V, C}},
    "v1:documents-upload": {"POST": {A, M, AG, AS}},
    "v1:documents-process": {"POST": {A, M, AG, AS}},
    "v1:documents-validate": {"POST": {A, M, AG, AS}},
    "v1:documents-detail": {"GET": {A, M, AG, AS, V}, "DELETE": {A, M, AG, AS}},
    "v1:documents-download": {"GET": {A, M, AG, AS, V, C}},
    "v1:files-upload": {"POST": {A, M, AG, AS}},
    "v1:files-detail": {"DELETE": {A, M, AG, AS}},
    "v1:files-download": {"GET": {A, M, AG, AS, V, C}},
    # catalog (public) and policies
    "v1:products-list": {"GET": PUBLIC},
    "v1:products-detail": {"GET": PUBLIC},
    "v1:quotes": {"POST": PUBLIC, "GET": {C}},
    # a stored quote: its random reference is the credential; a customer's quote is theirs alone (tests/catalog)
    "v1:quotes-detail": {"GET": PUBLIC},
    "v1:quotes-apply": {"POST": PUBLIC},
    "v1:policies-list": {"GET": {A, M, AG, C}, "POST": {A, M, AG}},
    "v1:policies-detail": {"GET": {A, M, AG, C}, "PATCH": {A, M, AG}},
    "v1:policies-transitions": {"POST": {A, M, AG}},
    "v1:policies-timeline": {"GET": {A, M, AG, C}},
    "v1:policies-endorsements": {"GET": {A, M, AG, C}, "POST": {A, M, AG}},
    "v1:contacts-policies": {"GET": {A, M, AG}, "POST": {A, M, AG}},
    "v1:recommendations": {"GET": {A, M, AG, C}},
    "v1:contacts-policy-detail": {"PUT": {A, M, AG}, "DELETE": {A, M, AG}},
    # billing
    "v1:payments-list": {"GET": {A, M, AG, V, C}, "POST": {A, M, AG}},
    "v1:billing-webhook": {"POST": PUBLIC},
    "v1:transactions-list": {"GET": {A, M, AG, V, C}},
    "v1:transactions-export": {"GET": {A, M, AG, V, C}},
    "v1:commissions-list": {"GET": {A, M, AG, V}},
    "v1:loyalty-balance": {"GET": {A, M, AG, V, C}},
    "v1:loyalty-redeem": {"POST": {A, M, AG, C}},
    "v1:policies-instalments": {"GET": {A, M, AG, V, C}},
    # claims
    "v1:claims-list": {"GET": {A, M, AG, AS, V, C}, "POST": {A, M, AG, C}},
    "v1:claims-detail": {"GET": {A, M, AG, AS, V, C}, "PATCH": {A, M, AG, AS}},
    "v1:claims-transition": {"POST": {A, M, AG, AS, C}},
    "v1:claims-timeline": {"GET": {A, M, AG, AS, V, C}},
    "v1:claims-communications": {"GET": {A, M, AG, AS, V}, "POST": {A, M, AG, AS}},
    "v1:claims-assign": {"POST": {A, M, AG}},
    "v1:claims-reserve": {"POST": {A, M, AG}},
    "v1:claims-payments": {"GET": {A, M, AG, AS, V}, "POST": {A, M, AG}},
    "v1:claims-payment-decision": {"POST": {A, M}},
    "v1:claims-documents": {"GET": {A, M, AG, AS, V, C}, "POST": {A, M, AG, AS, C}},
    "v1:claims-fraud": {"GET": {A, M, AG, AS, V}},
    "v1:claims-fraud-score": {"POST": {A, M, AG}},
    "v1:claims-fraud-decision": {"POST": {A, M}},
    "v1:fraud-queue": {"GET": {A, M, AG, AS, V}},
    "v1:dashboard-kpi": {"GET": {A, M, AG, AS, V}},
    "v1:dashboard-arrears": {"GET": {A, M, AG, V}},
    "v1:dashboard-alerts": {"GET": {A, M, AG, AS, V}},
    "v1:dashboard-claims": {"GET": {A, M, AG, AS, V}},
    "v1:dashboard-assessments": {"GET": {A, M, AG, AS, V}},
    "v1:claims-checks": {"GET": {A, M, AG, AS, V}, "POST": {A, M, AG, AS}},
    "v1:claims-report": {"GET": {A, M, AG, AS, V}},
    "v1:claims-assessment": {"GET": {A, M, AG, AS, V}, "POST": {A, M, AS}},
    "v1:assessments-list": {"GET": {A, M, AG, AS, V}, "POST": {A, M, AS}},
    "v1:assessments-detail": {"GET": {A, M, AG, AS, V}, "PATCH": {A, M, AS}},
    "v1:assessments-sections": {"GET": {A, M, AG, AS, V}, "PUT": {A, M, AS}},
    "v1:assessments-photos": {"GET": {A, M, AG, AS, V}, "POST": {A, M, AS}, "PUT": {A, M, AS}},
    "v1:assessments-estimates": {"GET": {A, M, AG, AS, V}, "POST": {A, M, AS}},
    "v1:assessments-estimate-accept": {"POST": {A, M, AS}},
    # notifications (everyone, their own)
    "v1:notifications-list": {"GET": SIGNED_IN},
    "v1:notifications-read": {"PUT": SIGNED_IN},
    "v1:notifications-mark-all-read": {"PUT": SIGNED_IN},
    "v1:notifications-mark-read": {"POST": SIGNED_IN},
    "v1:notifications-preferences": {"GET": SIGNED_IN, "PUT": SIGNED_IN},
    # renewals
    "v1:cases-list": {"GET": {A, M, AG, V}},
    "v1:cases-detail": {"GET": {A, M, AG, V}, "PUT": {A, M, AG}},
    "v1:cases-assign": {"POST": {A, M, AG}},
    "v1:cases-escalate": {"POST": {A, M, AG}},
    "v1:dashboard-stats": {"GET": {A, M, AG, AS, V}},
    "v1:dashboard-trends": {"GET": {A, M, AG, AS, V}},
    "v1:dashboard-batch-status": {"GET": {A, M, AG, AS, V}},
    "v1:upload-batch": {"POST": {A, M}},
    "v1:upload-batches": {"GET": {A, M}},
    "v1:upload-batch-status": {"GET": {A, M}},
    "v1:upload-batch-failed-rows": {"GET": {A, M}},
    # messaging (seed 004 §3.4 messages, §3.8 DNC list)
    "v1:messages-list": {"GET": {A, M, AG}},
    "v1:messages-send": {"POST": {A, M, AG}},
    "v1:messages-contact": {"GET": {A, M, AG}},
    "v1:webhooks-incoming-message": {"GET": PUBLIC, "POST": PUBLIC},
    "v1:dnc-list": {"GET": {A, M, AG}, "POST": {A, M, AG}},
    "v1:dnc-detail": {"GET": {A, M}, "PUT": {A, M}, "PATCH": {A, M}, "DELETE": {A, M}},
    "v1:push-subscriptions": {"GET": SIGNED_IN, "POST": SIGNED_IN},
    "v1:push-subscription-detail": {"DELETE": SIGNED_IN},
    # crm (seed 004 §3.1, §3.3, §3.5, §3.6)
    "v1:client-leads": {"GET": {A, M, AG, V}, "POST": {A, M, AG}},
    "v1:client-leads-convert": {"POST": {A, M, AG}},
    "v1:recruit-leads": {"GET": {A, M, AG, V}, "POST": {A, M, AG}},
    "v1:recruit-leads-convert": {"POST": {A, M, AG}},
    "v1:leads-bulk-map": {"POST": {A, M, AG}},
    "v1:leads-bulk-import": {"POST": {A, M, AG}},
    "v1:leads-detail": {"GET": {A, M, AG, V}, "PUT": {A, M, AG}},
    "v1:leads-activities": {"POST": {A, M, AG}},
    "v1:leads-merge": {"POST": {A, M, AG}},
    "v1:leads-merge-undo": {"POST": {A, M, AG}},
    "v1:leads-import-failed-rows": {"GET": {A, M, AG}},
    "v1:opportunities-list": {"GET": {A, M, AG, V}},
    "v1:opportunities-detail": {"GET": {A, M, AG, V}, "PUT": {A, M, AG}},
    "v1:tasks-list": {"GET": {A, M, AG, V}, "POST": {A, M, AG}},
    "v1:tasks-detail": {"GET": {A, M, AG, V}, "PUT": {A, M, AG}},
    "v1:appointments-list": {"GET": {A, M, AG, V}, "POST": {A, M, AG}},
    "v1:appointments-detail": {"GET": {A, M, AG, V}, "PUT": {A, M, AG}},
    "v1:calendar-feed": {"POST": {A, M, AG}, "DELETE": {A, M, AG}},
    "v1:calendar-ics": {"GET": PUBLIC},  # the signed token is the credential (calendar apps cannot sign in)
    # Google Calendar sync: always the caller's own calendar (no path names anyone's); the OAuth callback's signed
    # single-use state and the push notification's channel token are their credentials
    "v1:calendar-google": {"GET": {A, M, AG}, "DELETE": {A, M, AG}},
    "v1:calendar-google-connect": {"POST": {A, M, AG}},
    "v1:calendar-google-sync": {"POST": {A, M, AG}},
    "v1:calendar-google-callback": {"GET": PUBLIC},
    "v1:calendar-google-notifications": {"POST": PUBLIC},
    "v1:agents-list": {"GET": {A, M, AG, V}},
    # email inbox (seed 003 Email Management)
    "v1:emails-list": {"GET": {A, M, AG}},
    "v1:emails-detail": {"GET": {A, M, AG}, "PUT": {A, M, AG}},
    "v1:emails-reply": {"POST": {A, M, AG}},
    "v1:emails-escalate": {"POST": {A, M, AG}},
    # service desk (seed 004 §3.7, §3.9; seed 002 #7)
    "v1:tickets-list": {"GET": {A, M, AG, V, C}, "POST": {A, M, AG, C}},
    "v1:tickets-detail": {"GET": {A, M, AG, V, C}, "PUT": {A, M, AG, C}},
    "v1:tickets-messages": {"POST": {A, M, AG, C}},
    "v1:tickets-merge": {"POST": {A, M, AG}},
    "v1:tickets-from-email": {"POST": {A, M, AG}},
    "v1:faqs-list": {"GET": PUBLIC},
    "v1:faqs-vote": {"POST": PUBLIC},
    "v1:knowledge-resource-file": {"GET": PUBLIC},
    "v1:knowledge-resources": {"GET": PUBLIC, "POST": {A, M, AG}},
    "v1:knowledge-resource-detail": {"GET": PUBLIC, "PUT": {A, M, AG}, "DELETE": {A, M, AG}},
    "v1:training-modules": {"GET": STAFF, "POST": {A, M}},
    "v1:training-module-detail": {"GET": STAFF, "PUT": {A, M}, "DELETE": {A, M}},
    "v1:training-module-progress": {"POST": STAFF},
    "v1:training-overdue": {"GET": {A, M}},
    # campaigns (seed 003, seed 004 §3.4): managers and admins create and send; agents read their customers' results
    "v1:campaigns-list": {"GET": {A, M, AG}, "POST": {A, M}},
    "v1:campaigns-audience-preview": {"POST": {A, M}},
    "v1:campaigns-detail": {"GET": {A, M, AG}, "PUT": {A, M}, "PATCH": {A, M}, "DELETE": {A, M}},
    "v1:campaigns-send": {"POST": {A, M}},
    "v1:campaigns-pause": {"POST": {A, M}},
    "v1:campaigns-resume": {"POST": {A, M}},
    "v1:campaigns-cancel": {"POST": {A, M}},
    "v1:campaigns-winner": {"POST": {A, M}},
    "v1:campaigns-analytics": {"GET": {A, M, AG}},
    "v1:campaigns-audience": {"GET": {A, M}},
    # surveys (seed 003 Survey & Feedback Service): managers and admins build; agents read their customers' results
    "v1:surveys-list": {"GET": {A, M, AG, V}, "POST": {A, M}},
    "v1:surveys-detail": {"GET": {A, M, AG, V}, "PUT": {A, M}},
    "v1:surveys-publish": {"POST": {A, M}},
    "v1:surveys-close": {"POST": {A, M}},
    "v1:surveys-responses": {"GET": {A, M, AG, V}},
    "v1:surveys-analytics": {"GET": {A, M, AG, V}},
    "v1:surveys-answer": {"GET": PUBLIC, "POST": PUBLIC},  # the signed link is the credential
    # AI assistant (seed 003 AI endpoints, seed 004 §3.2 copilot and §3.8 rescinded responses)
    "v1:ai-query": {"POST": {A, M}},
    "v1:ai-settings": {"GET": {A}, "PUT": {A}},
    "v1:ai-actions-confirm": {"POST": {A, M, AG, C}},
    "v1:copilot-chat": {"POST": {A, M, AG}},
    "v1:assistant-chat": {"POST": {C}},
    "v1:safety-rescinded-responses": {"GET": {A, M}},
}

# URL patterns under /api/ that are not endpoints (the envelope 404 catch-all).
NOT_ENDPOINTS = {"v1:api-not-found"}

# Object endpoints (a path parameter naming a record) -> the roles whose access is limited to their own rows.
# For those roles another customer's, agent's or assessor's record answers 404 (its existence is not revealed)
# and writes nothing; the same record once theirs is reached. Roles not listed see every row of the kind
# (admin always; managers and viewers for most). Agents and customers are row-limited wherever they are allowed.
_CUSTOMER_ROWS = frozenset({AG, C})  # customers (theirs / their team's), policies, their documents
_CLAIM_ROWS = frozenset({AG, AS, C})
_CRM_ROWS = frozenset(
    {M, AG}
)  # leads, deals, tasks, appointments: own and team's  # claims they handle / service, assess, or own
OBJECT_SCOPED: dict[str, frozenset] = {
    "v1:users-detail": frozenset({M}),  # managers see staff accounts, not customers' logins
    "v1:customers-detail": _CUSTOMER_ROWS,
    "v1:customers-export": frozenset(),
    "v1:customers-erase": frozenset(),
    "v1:customers-restore": frozenset(),
    "v1:customers-interactions": _CUSTOMER_ROWS,
    "v1:customers-interaction-detail": _CUSTOMER_ROWS,
    "v1:contacts-detail": _CUSTOMER_ROWS,
    "v1:customers-documents": _CUSTOMER_ROWS,
    "v1:customers-document-detail": _CUSTOMER_ROWS,
    "v1:customers-document-download": _CUSTOMER_ROWS,
    "v1:documents-detail": _CLAIM_ROWS,  # the path's document is a claim's: assessors reach it through the claim
    "v1:documents-download": _CLAIM_ROWS,
    "v1:files-detail": _CLAIM_ROWS,
    "v1:files-download": _CLAIM_ROWS,
    "v1:policies-detail": _CUSTOMER_ROWS,
    "v1:policies-transitions": _CUSTOMER_ROWS,
    "v1:policies-timeline": _CUSTOMER_ROWS,
    "v1:policies-endorsements": _CUSTOMER_ROWS,
    "v1:policies-instalments": _CUSTOMER_ROWS,
    "v1:contacts-policies": _CUSTOMER_ROWS,
    "v1:contacts-policy-detail": _CUSTOMER_ROWS,
    "v1:claims-detail": _CLAIM_ROWS,
    "v1:claims-transition": _CLAIM_ROWS,
    "v1:claims-timeline": _CLAIM_ROWS,
    "v1:claims-communications": _CLAIM_ROWS,
    "v1:claims-assign": _CLAIM_ROWS,
    "v1:claims-reserve": _CLAIM_ROWS,
    "v1:claims-payments": _CLAIM_ROWS,
    "v1:claims-payment-decision": _CLAIM_ROWS,
    "v1:claims-documents": _CLAIM_ROWS,
    "v1:claims-fraud": _CLAIM_ROWS,
    "v1:claims-fraud-score": _CLAIM_ROWS,
    "v1:claims-fraud-decision": _CLAIM_ROWS,
    "v1:claims-report": _CLAIM_ROWS,
    "v1:claims-assessment": _CLAIM_ROWS,
    "v1:claims-checks": _CLAIM_ROWS,
    "v1:assessments-detail": _CLAIM_ROWS,
    "v1:assessments-sections": _CLAIM_ROWS,
    "v1:assessments-photos": _CLAIM_ROWS,
    "v1:assessments-estimates": _CLAIM_ROWS,
    "v1:assessments-estimate-accept": _CLAIM_ROWS,
    "v1:notifications-read": SIGNED_IN,  # everyone's notifications are their own
    "v1:cases-detail": frozenset({AG}),
    "v1:cases-assign": frozenset({AG}),
    "v1:cases-escalate": frozenset({AG}),
    "v1:upload-batch-status": frozenset(),  # admins and managers oversee every batch
    "v1:upload-batch-failed-rows": frozenset(),
    "v1:messages-contact": frozenset({AG}),  # a contact's history: their customers' (and team's) only
    "v1:dnc-detail": frozenset(),  # the firm's one list: admins and managers see every entry
    "v1:push-subscription-detail": SIGNED_IN,  # everyone's browsers are their own
    # crm: agents see their own and their team's records, managers their teams' (both row-limited)
    "v1:teams-members": frozenset({M}),  # managers change only the teams they manage
    "v1:client-leads-convert": _CRM_ROWS,
    "v1:recruit-leads-convert": _CRM_ROWS,
    "v1:leads-detail": _CRM_ROWS,
    "v1:leads-activities": _CRM_ROWS,
    "v1:leads-merge": _CRM_ROWS,
    "v1:leads-merge-undo": _CRM_ROWS,
    "v1:leads-import-failed-rows": _CRM_ROWS,
    "v1:opportunities-detail": _CRM_ROWS,
    "v1:tasks-detail": _CRM_ROWS,
    "v1:appointments-detail": _CRM_ROWS,
    # agents: the shared inbox (unassigned), their own and what was escalated to them; another agent's is a 404
    "v1:emails-detail": frozenset({AG}),
    "v1:emails-reply": frozenset({AG}),
    "v1:emails-escalate": frozenset({AG}),
    "v1:tickets-detail": _CUSTOMER_ROWS,  # agents: assigned, their team's queue, their customers'; customers: theirs
    "v1:tickets-messages": _CUSTOMER_ROWS,
    "v1:tickets-merge": frozenset({AG}),
    # campaigns: agents see those that reached their customers (their own and their team's)
    "v1:campaigns-detail": frozenset({AG}),
    "v1:campaigns-analytics": frozenset({AG}),
    "v1:campaigns-send": frozenset(),
    "v1:campaigns-pause": frozenset(),
    "v1:campaigns-resume": frozenset(),
    "v1:campaigns-cancel": frozenset(),
    "v1:campaigns-winner": frozenset(),
    "v1:campaigns-audience": frozenset(),
}

# Path parameters that name no one's record: a public product code, a payment provider, a signed feed token.
NOT_OBJECT_ENDPOINTS = {
    "v1:products-detail",
    "v1:quotes-detail",  # the reference is the credential; a customer's own quote is theirs alone (tests/catalog)
    "v1:quotes-apply",
    "v1:billing-webhook",
    "v1:calendar-ics",
    # the help centre's and the knowledge hub's entries are no one's records (audience decides who reads them)
    "v1:faqs-vote",
    "v1:knowledge-resource-detail",
    "v1:knowledge-resource-file",
    "v1:training-module-detail",  # a module is for a role, and each person's progress is their own
    "v1:training-module-progress",
    # a survey is the firm's, not a person's: agents see every survey and, inside it, their customers' answers only
    "v1:surveys-detail",
    "v1:surveys-publish",
    "v1:surveys-close",
    "v1:surveys-responses",
    "v1:surveys-analytics",
    "v1:surveys-answer",  # the link names the survey and signs the recipient: a forged one is a 404
}

# Roles that never see every row of anything: allowed on an object endpoint, they must be in OBJECT_SCOPED.
ROW_LIMITED = frozenset({AG, C})
