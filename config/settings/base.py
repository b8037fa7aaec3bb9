"""Settings shared by every environment. Values come from the environment (django-environ)."""

from datetime import timedelta
from pathlib import Path

import environ
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
env.read_env(BASE_DIR / ".env", overwrite=False) if (BASE_DIR / ".env").exists() else None

APP_VERSION = env.str("APP_VERSION", default="0.1.0")

SECRET_KEY = env.str("SECRET_KEY", default="insecure-dev-key-change-me-0123456789abcdefghijklmnopqrstuvwxyz")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "daphne",
    "unfold.apps.BasicAppConfig",  # not the default config, which would replace our admin site
    "unfold.contrib.filters",
    "unfold.contrib.forms",
    "apps.accounts.admin_config.InsureOpsAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "channels",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "pgtrigger",
    "pghistory",
    "pghistory.admin",
    "anymail",
    # Our bounded contexts, in dependency order (docs/architecture.md): lower apps never import higher ones.
    "django_htmx",
    "apps.core",
    "apps.accounts",
    "apps.audit",
    "apps.customers",
    "apps.documents",
    "apps.catalog",
    "apps.policies",
    "apps.billing",
    "apps.claims",
    "apps.renewals",
    "apps.integrations",
    "apps.notifications",
    "apps.messaging",
    "apps.crm",
    "apps.support",
    "apps.campaigns",
    "apps.assistant",
    "apps.analytics",
    "apps.portal",
    "apps.bench",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "apps.core.middleware.RequestIdMiddleware",
    "apps.core.middleware.SecurityHeadersMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "apps.core.middleware.AdminCSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "apps.audit.middleware.AuditContextMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "apps.portal.context_processors.portal",
            ],
        },
    },
]

# Column encryption (django-fernet-encrypted-fields derives keys from SECRET_KEY + these salts;
# list several to rotate) and the key of the blind indexes that make encrypted columns searchable.
SALT_KEY = env.list("FIELD_ENCRYPTION_SALTS", default=["insureops-dev-field-salt"])
BLIND_INDEX_KEY = env.str("BLIND_INDEX_KEY", default="insureops-dev-blind-index-key")

# --- Database -------------------------------------------------------------------------------
# DATABASE_URL is set by the Makefile (embedded PostgreSQL under var/) or by the operator.
DATABASES = {"default": env.db("DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/insureops")}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: cache, channel layer, Celery broker. Without REDIS_URL everything runs in-process. ---
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "apps.core.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="insureops"),
        }
    }
    # Redis pub/sub: an event for a group is one PUBLISH that each daphne process fans out to its own sockets.
    # The list-based RedisChannelLayer pushes one copy per member and each is popped in its own round trip:
    # measured with `manage.py benchmark` (100 clients), p50/p95 47/66 ms → 28/45 ms on the same loaded machine.
    # Events are fire-and-forget notifications; nothing relies on the list layer's buffering.
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": env.str("CHANNEL_LAYER_BACKEND", default="channels_redis.pubsub.RedisPubSubChannelLayer"),
            "CONFIG": {"hosts": [REDIS_URL], "prefix": env.str("CHANNELS_PREFIX", default="insureops")},
        }
    }
    CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL)
    CELERY_TASK_ALWAYS_EAGER = False
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "insureops"}}
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CELERY_BROKER_URL = "memory://"
    CELERY_TASK_ALWAYS_EAGER = True
    CELERY_TASK_EAGER_PROPAGATES = True

CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE: dict = {
    "loyalty-expire-nightly": {"task": "billing.loyalty_expire", "schedule": 24 * 60 * 60},
    "catalog-quotes-purge": {"task": "catalog.quotes_purge", "schedule": 24 * 60 * 60},
    "billing-sweep": {"task": "billing.sweep", "schedule": 15 * 60},
    "renewals-open-due": {"task": "renewals.open_due", "schedule": 6 * 60 * 60},
    "renewals-reminders": {"task": "renewals.reminders", "schedule": 60 * 60},
    "renewals-lapse": {"task": "renewals.lapse", "schedule": 6 * 60 * 60},
    "surveys-retry-quiet-hours": {"task": "campaigns.survey_invitations_retry", "schedule": 60 * 60},
    "billing-payment-reminders": {"task": "billing.payment_reminders", "schedule": 60 * 60},
    # overdue marking and lapses are date steps (idempotent, daily would do); hourly so arrears reminders
    # skipped in quiet hours go out the same day
    "billing-arrears": {"task": "billing.arrears", "schedule": 60 * 60},
    "claims-train-fraud-model": {"task": "claims.train_fraud_model", "schedule": 7 * 24 * 60 * 60},
    "notifications-flush-deferred": {"task": "notifications.flush_deferred", "schedule": 15 * 60},
    # each account is synced when its own sync_interval (minutes) has passed; this only finds the due ones
    "messaging-email-sync-due": {"task": "messaging.email_sync_due", "schedule": 60},
    "messaging-train-email-classifier": {"task": "messaging.train_email_classifier", "schedule": 7 * 24 * 60 * 60},
    # WhatsApp template reviews, should the provider's webhook be missed (a no-op with the sandbox)
    "messaging-whatsapp-templates-poll": {"task": "messaging.whatsapp_templates_poll", "schedule": 15 * 60},
    # SLA warnings and breach escalations: every 30 s, so a breach is escalated within a minute of it
    "support-sla-sweep": {"task": "support.sla_sweep", "schedule": 30},
    # GET /agents: the agents' book figures from policies, renewals and commissions (a materialized view)
    "crm-agent-book-stats": {"task": "crm.agent_book_stats_refresh", "schedule": 5 * 60},
    # task reminders at their remind_at, once each (a row lock and a notification dedupe key)
    "crm-task-reminders": {"task": "crm.task_reminders", "schedule": 60},
    # cross-sell gaps of customers whose relationship moved this week, as suggested deals for their agents
    "crm-cross-sell-suggest": {"task": "crm.cross_sell_suggest", "schedule": 24 * 60 * 60},
}

# --- Auth -----------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Argon2id first (apps/accounts/hashers.py); PBKDF2 stays to verify, and then upgrade, older hashes.
PASSWORD_HASHERS = [
    "apps.accounts.hashers.Argon2idPasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "portal:login"
LOGIN_REDIRECT_URL = "/"
PASSWORD_RESET_TIMEOUT = 60 * 60  # one hour
# Roles that must enrol a TOTP device before using the API or the admin (enforced in prod.py).
MFA_REQUIRED_ROLES: list[str] = env.list("MFA_REQUIRED_ROLES", default=[])
MFA_ENFORCEMENT_PERMISSION = "apps.accounts.api.permissions.MfaSatisfied"
OTP_TOTP_ISSUER = "InsureOps"
# Whether seed_demo may create the well-known demo accounts (refused in production).
DEMO_ACCOUNTS_ALLOWED = True

# django-axes: 5 failures per (email, IP) in 15 minutes locks that pair out.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_CALLABLE = "apps.accounts.lockout.lockout_response"
AXES_RESET_ON_SUCCESS = True
AXES_USERNAME_FORM_FIELD = "username"
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
# Behind N trusted reverse proxies (NUM_PROXIES), the client is the N-th address from the right of
# X-Forwarded-For; with none, REMOTE_ADDR. Axes, DRF throttles and the audit log all use that rule.
NUM_PROXIES = env.int("NUM_PROXIES", default=0)
AXES_IPWARE_META_PRECEDENCE_ORDER = ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"] if NUM_PROXIES else ["REMOTE_ADDR"]
AXES_IPWARE_PROXY_COUNT = NUM_PROXIES or None
AXES_IPWARE_PROXY_ORDER = "right-most"
AXES_VERBOSE = False

# --- API ------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "apps.accounts.api.authentication.JwtAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "apps.accounts.api.permissions.MfaSatisfied",
    ],
    "DEFAULT_RENDERER_CLASSES": ["apps.core.api.renderers.EnvelopeJSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "rest_framework.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "apps.core.api.pagination.PageLimitPagination",
    "DEFAULT_FILTER_BACKENDS": ["apps.core.api.filters.FilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "apps.core.api.schema.AutoSchema",
    "EXCEPTION_HANDLER": "apps.core.api.exceptions.envelope_exception_handler",
    "DEFAULT_THROTTLE_CLASSES": ["apps.core.api.throttles.GeneralRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "api_general": env.str("THROTTLE_GENERAL", default="1000/hour"),
        "upload": env.str("THROTTLE_UPLOAD", default="10/hour"),
        "ai": env.str("THROTTLE_AI", default="100/hour"),
        "auth": env.str("THROTTLE_AUTH", default="30/hour"),
        "documents": env.str("THROTTLE_DOCUMENTS", default="300/hour"),
        "quotes": env.str("THROTTLE_QUOTES", default="300/hour"),
    },
    "NUM_PROXIES": NUM_PROXIES,
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
API_PAGE_SIZE_DEFAULT = 20
API_PAGE_SIZE_MAX = 100
# total_records of a list of at least MIN_ROWS rows is cached this long (apps/core/api/pagination.py); 0 = always count
API_COUNT_CACHE_SECONDS = env.int("API_COUNT_CACHE_SECONDS", default=30)
API_COUNT_CACHE_MIN_ROWS = env.int("API_COUNT_CACHE_MIN_ROWS", default=5000)
API_COUNT_CACHE_MIN_MS = env.int("API_COUNT_CACHE_MIN_MS", default=20)  # or a count this slow (see pagination.py)
# dashboard figures are shared for this long unless a domain event comes first (apps/core/figures.py); 0 = off
DASHBOARD_CACHE_SECONDS = env.int("DASHBOARD_CACHE_SECONDS", default=15)
API_FAST_SERIALIZER_CHECK = False  # tests: compare every fast representation with DRF's (apps/core/api/serializers.py)

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(hours=1),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=7),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": False,
    "ALGORITHM": "HS256",
    "SIGNING_KEY": env.str("JWT_SECRET", default=SECRET_KEY),
    "AUTH_HEADER_TYPES": ("Bearer",),
    "USER_ID_FIELD": "id",
    "USER_ID_CLAIM": "sub",
    "TOKEN_OBTAIN_SERIALIZER": None,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "InsureOps API",
    "DESCRIPTION": "Insurance operations platform: customers, policies, billing, claims, renewals, CRM, service desk.",
    "VERSION": APP_VERSION,
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    # Choice sets that share a field name across resources get explicit component names.
    "ENUM_NAME_OVERRIDES": {
        "DirectionEnum": "apps.claims.models.Direction",  # claims' communications and customers' interactions
        "EmailDirectionEnum": "apps.messaging.models.email.Email.Direction",
        "EmailStatusEnum": "apps.messaging.models.EmailStatus",
        "EmailCategoryEnum": "apps.messaging.models.EmailCategory",
        "MessageChannelEnum": "apps.messaging.models.Channel",
        "CampaignPurposeEnum": "apps.campaigns.models.CampaignPurpose",
        "TicketCategoryEnum": "apps.support.models.TicketCategory",
        "NotificationTypeEnum": "apps.notifications.models.NotificationType",
        "PolicyStatusEnum": "apps.policies.models.PolicyStatus",
        "UserStatusEnum": "apps.accounts.models.User.Status",
        "EndorsementKindEnum": "apps.policies.models.EndorsementKind",
        "SecurityEventKindEnum": "apps.audit.models.SecurityEvent.Kind",
        "DocumentScanStatusEnum": "apps.documents.models.Document.ScanStatus",
        "InteractionTypeEnum": "apps.customers.models.Interaction.Type",
        "CaseStatusEnum": "apps.renewals.models.CaseStatus",
        "CasePaymentStatusEnum": "apps.renewals.models.PaymentStatus",
        "ClaimStatusEnum": "apps.claims.models.ClaimStatus",
        "ClaimChannelEnum": "apps.claims.models.ClaimChannel",
        "ClaimCommunicationChannelEnum": "apps.claims.models.CommunicationChannel",
        "ClaimPaymentStatusEnum": "apps.claims.models.ClaimPayment.Status",
        "FraudReviewEnum": "apps.claims.models.FraudReview",
        "AssessmentStatusEnum": "apps.claims.models.AssessmentStatus",
        "EstimateLineKindEnum": "apps.claims.models.EstimateLine.Kind",
        "NotificationPriorityEnum": "apps.notifications.models.Notification.Priority",
        "PriorityEnum": "apps.renewals.models.Priority",
        "LeadStatusEnum": "apps.crm.models.LeadStatus",
        "OpportunityStageEnum": "apps.crm.models.OpportunityStage",
        "TaskStatusEnum": "apps.crm.models.TaskStatus",
        "TaskPriorityEnum": "apps.crm.models.TaskPriority",
        "AppointmentStatusEnum": "apps.crm.models.AppointmentStatus",
        "LeadKindEnum": "apps.crm.models.LeadKind",
        "LeadSourceEnum": "apps.crm.models.LeadSource",
        "SourceEnum": "apps.claims.models.Estimate.Source",  # the name it had before leads had a source
        "TicketStatusEnum": "apps.support.models.TicketStatus",
        "TicketChannelEnum": "apps.support.models.TicketChannel",
        "TicketActivityKindEnum": "apps.support.models.TicketActivity.Kind",
        "KnowledgeResourceKindEnum": "apps.support.models.KnowledgeResource.Kind",
        "StaffRoleEnum": "apps.support.models.STAFF_ROLE_CHOICES",
        "SurveyKindEnum": "apps.campaigns.models.SurveyKind",
        "SurveyStatusEnum": "apps.campaigns.models.SurveyStatus",
        "SurveyTriggerEnum": "apps.campaigns.models.SurveyTrigger",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "apps.core.api.schema.postprocess_envelope",
    ],
    "SECURITY": [{"jwtAuth": []}],
    "APPEND_COMPONENTS": {"securitySchemes": {"jwtAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}}},
}

# --- Audit (django-pghistory) -------------------------------------------------------------------
# Context is stored on each event row as JSON, so every audit table is insert-only.
import pghistory  # noqa: E402

PGHISTORY_APPEND_ONLY = True
# Statement-level triggers: one set-based INSERT into the event table per statement (a 2,000-row bulk insert
# writes its history in one go instead of firing 2,000 row triggers).
PGHISTORY_LEVEL = pghistory.Statement
PGHISTORY_CONTEXT_FIELD = pghistory.ContextJSONField()
from apps.audit.trackers import DeleteEvent, InsertEvent, UpdateEvent  # noqa: E402

PGHISTORY_DEFAULT_TRACKERS = (InsertEvent(), UpdateEvent(), DeleteEvent())
PGHISTORY_OBJ_FIELD = pghistory.ObjForeignKey(db_index=True)
PGHISTORY_ADMIN_MODEL = "pghistory.Events"

# --- i18n, static, media --------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
# Numbers on pages for people are grouped (admin list columns and read-only fields, `{{ amount }}` in templates);
# ids in links are written with |unlocalize. The API renders its own JSON and is not affected.
USE_THOUSAND_SEPARATOR = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns on every start when it is missing
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=str(VAR_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=2_621_440)

# --- Documents: private storage (never a public URL), limits, scanning ---------------------------------
PRIVATE_MEDIA_ROOT = env.path("PRIVATE_MEDIA_ROOT", default=str(VAR_DIR / "private"))
STORAGES["documents"] = {
    "BACKEND": "django.core.files.storage.FileSystemStorage",
    "OPTIONS": {
        "location": str(PRIVATE_MEDIA_ROOT),
        "base_url": None,
        "file_permissions_mode": 0o600,
        "directory_permissions_mode": 0o700,
    },
}
DOCUMENT_MAX_BYTES = env.int("DOCUMENT_MAX_BYTES", default=20 * 1024 * 1024)
DOCUMENT_ZIP_MAX_ENTRIES = env.int("DOCUMENT_ZIP_MAX_ENTRIES", default=2000)
DOCUMENT_ZIP_MAX_UNCOMPRESSED = env.int("DOCUMENT_ZIP_MAX_UNCOMPRESSED", default=200 * 1024 * 1024)
DOCUMENT_ZIP_MAX_RATIO = env.int("DOCUMENT_ZIP_MAX_RATIO", default=100)
DOCUMENT_THUMBNAIL_SIZE = (320, 320)
CLAMD_SOCKET = env.str("CLAMD_SOCKET", default="")
CLAMD_HOST = env.str("CLAMD_HOST", default="")
CLAMD_PORT = env.int("CLAMD_PORT", default=3310)
TESSERACT_CMD = env.str("TESSERACT_CMD", default="tesseract")
OCR_LANGUAGES = env.str("OCR_LANGUAGES", default="eng")

# The public address of the site, for links in emails.
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

# External checks (seed 001): per kind, provider "sandbox" (local, deterministic; the default) or "http" with url,
# key, timeout (s) and retries. VIN decoding is offline and real. Set as JSON in INTEGRATIONS_JSON.
INTEGRATIONS = env.json(
    "INTEGRATIONS_JSON",
    default={
        "registration": {"provider": "sandbox"},
        "history": {"provider": "sandbox"},
        "vin": {"provider": "offline"},
        "geocode": {"provider": "sandbox"},
        "weather": {"provider": "sandbox"},
    },
)

# SMS and WhatsApp (apps.messaging): which provider sends on each channel (sandbox | twilio | meta) and each
# provider's credentials and webhook secrets. A provider without its secret refuses its webhooks (fail closed).
MESSAGING_PROVIDERS = {
    "sms": env.str("MESSAGING_SMS_PROVIDER", default="sandbox"),
    "whatsapp": env.str("MESSAGING_WHATSAPP_PROVIDER", default="sandbox"),
}
MESSAGING_PROVIDER_CONFIG = {
    "sandbox": {"secret": env.str("MESSAGING_SANDBOX_SECRET", default="sandbox-messaging-secret")},
    "twilio": {
        "account_sid": env.str("TWILIO_ACCOUNT_SID", default=""),
        "auth_token": env.str("TWILIO_AUTH_TOKEN", default=""),
        "from_number": env.str("TWILIO_FROM_NUMBER", default=""),
        "messaging_service_sid": env.str("TWILIO_MESSAGING_SERVICE_SID", default=""),
        "status_callback": env.str("TWILIO_STATUS_CALLBACK", default=""),
        "base_url": env.str("TWILIO_BASE_URL", default="https://api.twilio.com"),
    },
    "meta": {
        "access_token": env.str("WHATSAPP_ACCESS_TOKEN", default=""),
        "phone_number_id": env.str("WHATSAPP_PHONE_NUMBER_ID", default=""),
        "app_secret": env.str("WHATSAPP_APP_SECRET", default=""),
        "verify_token": env.str("WHATSAPP_VERIFY_TOKEN", default=""),
        # the WhatsApp Business Account whose message templates are polled for their review status
        "business_account_id": env.str("WHATSAPP_BUSINESS_ACCOUNT_ID", default=""),
        "api_version": env.str("WHATSAPP_API_VERSION", default="v21.0"),
        "base_url": env.str("WHATSAPP_BASE_URL", default="https://graph.facebook.com"),
    },
}
# The public URL providers call for webhooks (Twilio signs the URL it called): set it behind a proxy.
MESSAGING_WEBHOOK_BASE_URL = env.str("MESSAGING_WEBHOOK_BASE_URL", default="").rstrip("/")

# Calendar sync (apps.crm.calsync): each agent may link their own calendar. CRM_CALENDAR_PROVIDER picks the
# provider: "sandbox" (local, the default in `make run` and tests) or "google" (Google Calendar API v3, OAuth 2.0
# authorization code + PKCE). Google needs an OAuth client (Web application) whose authorised redirect URI is
# GOOGLE_CALENDAR_REDIRECT_URI; push notifications need a public HTTPS GOOGLE_CALENDAR_WEBHOOK_URL (without one,
# the beat job's periodic sync keeps calendars current).
CRM_CALENDAR_PROVIDER = env.str("CRM_CALENDAR_PROVIDER", default="sandbox")
GOOGLE_CALENDAR = {
    "client_id": env.str("GOOGLE_CALENDAR_CLIENT_ID", default=""),
    "client_secret": env.str("GOOGLE_CALENDAR_CLIENT_SECRET", default=""),
    "redirect_uri": env.str("GOOGLE_CALENDAR_REDIRECT_URI", default=f"{SITE_URL}/api/v1/calendar/google/callback"),
    "webhook_url": env.str("GOOGLE_CALENDAR_WEBHOOK_URL", default=f"{SITE_URL}/api/v1/calendar/google/notifications"),
    "auth_uri": "https://accounts.google.com/o/oauth2/v2/auth",
    "token_uri": "https://oauth2.googleapis.com/token",
    "revoke_uri": "https://oauth2.googleapis.com/revoke",
    "api_base": env.str("GOOGLE_CALENDAR_API_BASE", default="https://www.googleapis.com/calendar/v3"),
    "scopes": "openid email https://www.googleapis.com/auth/calendar.events",
    "timeout": env.float("GOOGLE_CALENDAR_TIMEOUT", default=10.0),
}
CRM_CALENDAR_CHANNEL_TTL_SECONDS = env.int("CRM_CALENDAR_CHANNEL_TTL_SECONDS", default=7 * 24 * 3600)
CRM_CALENDAR_CHANNEL_RENEW_BEFORE_SECONDS = env.int("CRM_CALENDAR_CHANNEL_RENEW_BEFORE_SECONDS", default=24 * 3600)
CRM_CALENDAR_SYNC_DAYS_BACK = env.int("CRM_CALENDAR_SYNC_DAYS_BACK", default=30)  # a full sync's window
CRM_CALENDAR_OAUTH_STATE_SECONDS = 600
CELERY_BEAT_SCHEDULE["crm-calendar-channels-renew"] = {"task": "crm.calendar_channels_renew", "schedule": 3600}
CELERY_BEAT_SCHEDULE["crm-calendar-sync-all"] = {"task": "crm.calendar_sync_all", "schedule": 15 * 60}

# --- Business rules of each domain (billing, loyalty, renewals, claims): config/settings/domain.py ---
from .domain import *  # noqa: E402

# --- Email ----------------------------------------------------------------------------------
MAILERS = {"default": {"BACKEND": env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")}}
if env.str("EMAIL_FILE_PATH", default=""):  # with the filebased backend: one .log file per message
    MAILERS["default"]["OPTIONS"] = {"file_path": env.str("EMAIL_FILE_PATH")}
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="InsureOps <no-reply@insureops.local>")
PORTAL_BASE_URL = env.str("PORTAL_BASE_URL", default="http://127.0.0.1:8000")

# --- Security headers (seed 003 "Security Headers") ----------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# Strict CSP for the portal, API docs and API: no inline script, no CDN.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}
# The admin theme (unfold) relies on Alpine.js attribute expressions and inline styles,
# which need 'unsafe-eval' / 'unsafe-inline'; that looser policy is confined to /admin/.
ADMIN_CSP = {
    **SECURE_CSP,
    "script-src": [CSP.SELF, CSP.UNSAFE_INLINE, CSP.UNSAFE_EVAL],
    "style-src": [CSP.SELF, CSP.UNSAFE_INLINE],
}
CSP_PATH_OVERRIDES = {
    "/admin/": ADMIN_CSP,
    "/api/docs/": {**SECURE_CSP, "style-src": [CSP.SELF, CSP.UNSAFE_INLINE]},
}

# --- Admin (django-unfold) -------------------------------------------------------------------
from config.unfold import UNFOLD  # noqa: E402,F401

# --- Logging: one line per event, request id attached ------------------------------------------
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "apps.core.middleware.RequestIdLogFilter"}},
    "formatters": {
        "line": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "line", "filters": ["request_id"]}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
        "daphne": {"level": "WARNING"},
    },
}

CSRF_FAILURE_VIEW = "apps.core.views.csrf_failure"
BENCH_FLOOR = False  # config.settings.bench mounts /bench/floor/
ASSISTANT_RATE_LIMITS = True  # the AI settings' per-person limits (config.settings.bench switches them off)

# Web Push (apps.messaging.services.push): a VAPID key pair (base64url, e.g. `vapid --gen` of py-vapid) turns it on.
WEBPUSH_VAPID_PRIVATE_KEY = env.str("WEBPUSH_VAPID_PRIVATE_KEY", default="")
WEBPUSH_VAPID_PUBLIC_KEY = env.str("WEBPUSH_VAPID_PUBLIC_KEY", default="")
WEBPUSH_VAPID_SUBJECT = env.str("WEBPUSH_VAPID_SUBJECT", default="mailto:ops@insureops.example")
WEBPUSH_TTL = env.int("WEBPUSH_TTL", default=3600)

# --- Campaigns (apps.campaigns) ------------------------------------------------------------------------------
# Email goes through Django's email API: the "campaigns" mailer when configured (an ESP through django-anymail,
# e.g. CAMPAIGNS_EMAIL_BACKEND=anymail.backends.sendgrid.EmailBackend with ANYMAIL={"SENDGRID_API_KEY": …}),
# else the default mailer (SMTP, or the console locally). ESP webhooks: /anymail/<esp>/tracking/ (basic auth
# with ANYMAIL_WEBHOOK_SECRET).
if env.str("CAMPAIGNS_EMAIL_BACKEND", default=""):
    MAILERS["campaigns"] = {"BACKEND": env.str("CAMPAIGNS_EMAIL_BACKEND")}
ANYMAIL = {
    k: v
    for k, v in {
        "WEBHOOK_SECRET": env.str("ANYMAIL_WEBHOOK_SECRET", default=""),
        "SENDGRID_API_KEY": env.str("SENDGRID_API_KEY", default=""),
        "AMAZON_SES_CLIENT_PARAMS": {"region_name": env.str("AWS_SES_REGION", default="")},
        "POSTMARK_SERVER_TOKEN": env.str("POSTMARK_SERVER_TOKEN", default=""),
        "MAILGUN_API_KEY": env.str("MAILGUN_API_KEY", default=""),
    }.items()
    if v and v != {"region_name": ""}
}
CAMPAIGNS_FROM_EMAIL = env.str("CAMPAIGNS_FROM_EMAIL", default=DEFAULT_FROM_EMAIL)
CAMPAIGNS_MESSAGE_ID_DOMAIN = env.str("CAMPAIGNS_MESSAGE_ID_DOMAIN", default="insureops.local")
CAMPAIGNS_BATCH_SIZE = env.int("CAMPAIGNS_BATCH_SIZE", default=500)
CAMPAIGNS_DELIVER_CHUNK = env.int("CAMPAIGNS_DELIVER_CHUNK", default=500)  # sends locked and read together
CAMPAIGNS_SEND_DEADLINE_HOURS = env.int("CAMPAIGNS_SEND_DEADLINE_HOURS", default=36)  # quiet-hours deferrals give up
CAMPAIGNS_PREFETCH_SECONDS = env.int("CAMPAIGNS_PREFETCH_SECONDS", default=2)  # a pixel hit sooner is a machine
# What one message costs on each channel (EUR), for the budget spent per channel.
CAMPAIGNS_CHANNEL_COST = {"email": "0.0010", "sms": "0.0450", "whatsapp": "0.0300"}
CELERY_BEAT_SCHEDULE["campaigns-tick"] = {"task": "campaigns.tick", "schedule": 60}
# The open pixel and click redirects are answered before Django (apps.campaigns.fastpath) and their hits appended to
# a Redis list, written to the database in batches by `campaigns.tracking_flush` every CAMPAIGNS_TRACKING_FLUSH_SECONDS
# (the analytics lag the hits by that much). Without Redis every hit is written by the view as it comes.
CAMPAIGNS_TRACKING_BUFFER_URL = env.str("CAMPAIGNS_TRACKING_BUFFER_URL", default=REDIS_URL)
CAMPAIGNS_TRACKING_BUFFER_KEY = f"{env.str('CACHE_KEY_PREFIX', default='insureops')}:{{campaigns:tracking}}:hits"
CAMPAIGNS_TRACKING_FLUSH_SECONDS = env.int("CAMPAIGNS_TRACKING_FLUSH_SECONDS", default=5)
CAMPAIGNS_TRACKING_FLUSH_BATCH = env.int("CAMPAIGNS_TRACKING_FLUSH_BATCH", default=5000)  # hits a transaction
CAMPAIGNS_TRACKING_STALE_SECONDS = 120  # a batch claimed this long ago by a flusher that died is taken over
CAMPAIGNS_TRACKING_FLUSH_KEEP_DAYS = 30  # applied batch keys kept (a retried batch is recognised for this long)
if CAMPAIGNS_TRACKING_BUFFER_URL:
    CELERY_BEAT_SCHEDULE["campaigns-tracking-flush"] = {
        "task": "campaigns.tracking_flush",
        "schedule": CAMPAIGNS_TRACKING_FLUSH_SECONDS,
        "options": {"expires": CAMPAIGNS_TRACKING_FLUSH_SECONDS * 2},
    }
    CELERY_BEAT_SCHEDULE["campaigns-tracking-flushes-prune"] = {
        "task": "campaigns.tracking_flushes_prune",
        "schedule": 24 * 60 * 60,
    }
