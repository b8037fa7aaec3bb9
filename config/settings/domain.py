"""Business rules of each domain, as settings an operator may tune (most from the environment).

Kept apart from base.py, which is infrastructure (database, cache, security, logging): these are the numbers a
brokerage changes — reminder days, loyalty rates, renewal lead time, claim payment authority, fraud thresholds.
"""

from decimal import Decimal

import environ

env = environ.Env()

# --- Billing -------------------------------------------------------------------------------------------
# Days before an instalment falls due that its customer is reminded (seed 002 #6), once each.
PAYMENT_REMINDER_DAYS = env.list("PAYMENT_REMINDER_DAYS", cast=int, default=[7, 1])
# Days after an unpaid due date that the customer is reminded of the arrears, once each (the latest offset
# reached is sent; one missed run does not send two at once). The policy lapses after its grace_period_days.
ARREARS_REMINDER_DAYS = env.list("ARREARS_REMINDER_DAYS", cast=int, default=[1, 7])
# The provider behind the portal's "Pay now" (hosted checkout); "sandbox" serves its page from this site.
PAYMENT_CHECKOUT_PROVIDER = env.str("PAYMENT_CHECKOUT_PROVIDER", default="sandbox")

# HMAC secrets per payment provider for `POST /api/v1/billing/webhooks/<provider>`; "sandbox" is the
# built-in test provider (override or remove it in production).
PAYMENT_WEBHOOK_SECRETS = {"sandbox": env.str("SANDBOX_WEBHOOK_SECRET", default="sandbox-webhook-secret")}
PAYMENT_WEBHOOK_TOLERANCE = 300  # seconds
LOYALTY_EUROS_PER_POINT = Decimal(env.str("LOYALTY_EUROS_PER_POINT", default="10"))  # 1 point per €10 on time
LOYALTY_POINT_VALUE = Decimal(env.str("LOYALTY_POINT_VALUE", default="0.10"))  # € per point when redeemed
LOYALTY_REDEMPTION_STEP = 10
LOYALTY_CURRENCY = "EUR"
LOYALTY_POINTS_VALID_DAYS = env.int("LOYALTY_POINTS_VALID_DAYS", default=730)
LOYALTY_CLAIM_FREE_YEAR_POINTS = 100

# --- Renewals -------------------------------------------------------------------------------------------
RENEWAL_CASE_LEAD_DAYS = env.int("RENEWAL_CASE_LEAD_DAYS", default=90)
RENEWAL_AGENT_OPEN_CASE_CAP = env.int("RENEWAL_AGENT_OPEN_CASE_CAP", default=200)
RENEWAL_BATCH_MAX_BYTES = env.int("RENEWAL_BATCH_MAX_BYTES", default=10 * 1024 * 1024)
RENEWAL_BATCH_MAX_ROWS = env.int("RENEWAL_BATCH_MAX_ROWS", default=200_000)


# --- Catalogue --------------------------------------------------------------------------------------------
# A stored quote's price holds this many days; quotes nobody applied for are deleted this long after expiry.
CATALOG_QUOTE_VALID_DAYS = env.int("CATALOG_QUOTE_VALID_DAYS", default=30)
CATALOG_QUOTE_KEEP_DAYS = env.int("CATALOG_QUOTE_KEEP_DAYS", default=90)

# --- CRM ------------------------------------------------------------------------------------------
# An agent's open leads above which least-loaded and round-robin assignment pass them over.
CRM_AGENT_OPEN_LEAD_CAP = env.int("CRM_AGENT_OPEN_LEAD_CAP", default=500)
# Duplicates: candidates scoring at least this (0-100) are reported.
CRM_DUPLICATE_MIN_SCORE = env.int("CRM_DUPLICATE_MIN_SCORE", default=50)
# Bulk lead import limits (the renewals upload stack's checks, with the CRM's own sizes).
CRM_IMPORT_MAX_BYTES = env.int("CRM_IMPORT_MAX_BYTES", default=10 * 1024 * 1024)
CRM_IMPORT_MAX_ROWS = env.int("CRM_IMPORT_MAX_ROWS", default=50_000)
# A duplicate merge can be undone for this many hours (then it stands; the audit trail still shows it).
CRM_MERGE_UNDO_HOURS = env.int("CRM_MERGE_UNDO_HOURS", default=72)
# Recommendations: a deal the customer declined keeps its line down for this many days.
CRM_DECLINED_QUIET_DAYS = env.int("CRM_DECLINED_QUIET_DAYS", default=180)
# Cross-sell suggestions to the owning agent (apps.crm.recommendations): the least recommendation score that
# becomes a suggested opportunity, how many per customer, and how many customers one run looks at (the next run
# carries on after the last: ~12 s for 20,000 at scale 1, so 100k candidates are all looked at within a week).
CRM_SUGGESTION_MIN_SCORE = env.float("CRM_SUGGESTION_MIN_SCORE", default=2.0)
CRM_SUGGESTIONS_PER_CUSTOMER = env.int("CRM_SUGGESTIONS_PER_CUSTOMER", default=2)
CRM_SUGGESTIONS_PER_RUN = env.int("CRM_SUGGESTIONS_PER_RUN", default=20_000)

# --- Claims ---------------------------------------------------------------------------------------
# Payment authority per role (in the claim's currency): a payment above the requester's limit waits for an
# approver whose limit covers it and who is not the requester. Override with a JSON object in the env.
CLAIM_PAYMENT_AUTHORITY = env.json(
    "CLAIM_PAYMENT_AUTHORITY", default={"agent": 2500, "assessor": 0, "manager": 25000, "admin": 250000}
)
# Days after the incident within which a claim is expected to be reported (later: a fraud indicator).
CLAIM_LATE_REPORTING_DAYS = env.int("CLAIM_LATE_REPORTING_DAYS", default=30)
# Recommend a total loss when the accepted repair estimate exceeds this share of the vehicle's value.
CLAIM_TOTAL_LOSS_SHARE = env.float("CLAIM_TOTAL_LOSS_SHARE", default=0.70)
# Dashboard alerts: days a claim may wait for triage, stay open, or go unchanged; a reserve counted as large.
CLAIM_TRIAGE_SLA_DAYS = env.int("CLAIM_TRIAGE_SLA_DAYS", default=2)
CLAIM_OPEN_SLA_DAYS = env.int("CLAIM_OPEN_SLA_DAYS", default=30)
CLAIM_STALE_DAYS = env.int("CLAIM_STALE_DAYS", default=14)
CLAIM_LARGE_RESERVE = env.int("CLAIM_LARGE_RESERVE", default=25000)
# A fraud score at or above this puts the claim in the review queue (the score is advisory).
CLAIM_FRAUD_REVIEW_THRESHOLD = env.int("CLAIM_FRAUD_REVIEW_THRESHOLD", default=60)
# The anomaly model trains only on at least this many claims.
CLAIM_FRAUD_MIN_TRAINING_CLAIMS = env.int("CLAIM_FRAUD_MIN_TRAINING_CLAIMS", default=50)
# ... and on at most this many (the most recent): a bounded run whatever the size of the claim history.
CLAIM_FRAUD_TRAINING_SAMPLE = env.int("CLAIM_FRAUD_TRAINING_SAMPLE", default=50_000)

# Messaging (apps.messaging): national phone numbers are read in this region; an SMS longer than this many
# segments is refused (never cut); marketing keeps these quiet hours when the person set none; outside the
# WhatsApp 24-hour window, service notices go as this approved template (body "… {{1}} …").
MESSAGING_DEFAULT_REGION = env.str("MESSAGING_DEFAULT_REGION", default="PT")
MESSAGING_SMS_MAX_SEGMENTS = env.int("MESSAGING_SMS_MAX_SEGMENTS", default=6)
MESSAGING_DEFAULT_QUIET_HOURS = {"start": "21:00", "end": "09:00", "timezone": "Europe/Lisbon"}
MESSAGING_WHATSAPP_NOTICE_TEMPLATE = env.str("MESSAGING_WHATSAPP_NOTICE_TEMPLATE", default="service_notice")

# --- Email inbox (messaging) ----------------------------------------------------------------------------
# A message larger than this is stored with its headers only (and says so); attachments go through the documents
# pipeline and its own limit (DOCUMENT_MAX_BYTES).
EMAIL_MAX_MESSAGE_BYTES = env.int("EMAIL_MAX_MESSAGE_BYTES", default=40 * 1024 * 1024)
# Messages fetched and stored per IMAP round trip and transaction.
EMAIL_SYNC_BATCH = env.int("EMAIL_SYNC_BATCH", default=250)
# A reply whose headers name no earlier message joins the correspondent's thread with the same subject within
# this many days.
EMAIL_THREAD_SUBJECT_DAYS = env.int("EMAIL_THREAD_SUBJECT_DAYS", default=30)
# The email classifier: "local" (scikit-learn + VADER, offline).
EMAIL_CLASSIFIER = env.str("EMAIL_CLASSIFIER", default="local")
# --- Service desk (apps.support) -----------------------------------------------------------------------------
# Business hours of the service desk, in its own time zone, and the country whose public holidays it closes on
# (the `holidays` library). SLA targets of policies with business_hours count only these hours.
SUPPORT_TIME_ZONE = env.str("SUPPORT_TIME_ZONE", default="Europe/Dublin")
SUPPORT_BUSINESS_DAYS = env.list("SUPPORT_BUSINESS_DAYS", cast=int, default=[0, 1, 2, 3, 4])  # Monday = 0
SUPPORT_BUSINESS_START = env.str("SUPPORT_BUSINESS_START", default="09:00")
SUPPORT_BUSINESS_END = env.str("SUPPORT_BUSINESS_END", default="17:30")
SUPPORT_HOLIDAY_COUNTRY = env.str("SUPPORT_HOLIDAY_COUNTRY", default="IE")
# The assignee is warned this long (clock minutes) before an SLA target is missed; the team manager is told at the
# breach. Both once per target and clock.
SUPPORT_SLA_WARN_MINUTES = env.int("SUPPORT_SLA_WARN_MINUTES", default=30)
# One sweep (every 30 s) checks at most this many due tickets, and stops after this many seconds: a backlog is
# worked off over several runs instead of runs piling up.
SUPPORT_SLA_SWEEP_BATCH = env.int("SUPPORT_SLA_SWEEP_BATCH", default=500)
SUPPORT_SLA_SWEEP_SECONDS = env.int("SUPPORT_SLA_SWEEP_SECONDS", default=20)
# The team whose queue takes tickets of customers without an agent in a team (created by seed_demo / the admin).
SUPPORT_DEFAULT_TEAM = env.str("SUPPORT_DEFAULT_TEAM", default="Customer service")
# A customer's SMS or WhatsApp message joins the (not closed) ticket staff last replied to them about on that
# channel within this many days; otherwise it stays in the unified inbox.
SUPPORT_CHANNEL_THREAD_DAYS = env.int("SUPPORT_CHANNEL_THREAD_DAYS", default=14)
# Mail from known customers in the shared inbox opens tickets (replies to a ticket's mail always join it).
SUPPORT_EMAIL_TO_TICKET = env.bool("SUPPORT_EMAIL_TO_TICKET", default=True)
# The public FAQ answers are kept this long at most (and recomputed at once after any FAQ, category or vote
# change); 0: not cached.
SUPPORT_FAQ_CACHE_SECONDS = env.int("SUPPORT_FAQ_CACHE_SECONDS", default=600)
