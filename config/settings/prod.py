"""Production: every secret from the environment, HTTPS only, MFA for admins and managers."""

from .base import *

DEBUG = False
SECRET_KEY = env.str("SECRET_KEY")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")
DEMO_ACCOUNTS_ALLOWED = False
SALT_KEY = env.list("FIELD_ENCRYPTION_SALTS")
BLIND_INDEX_KEY = env.str("BLIND_INDEX_KEY")
# Real providers only; the sandbox provider is enabled when SANDBOX_WEBHOOK_SECRET is set explicitly.
PAYMENT_WEBHOOK_SECRETS = dict(env.dict("PAYMENT_WEBHOOK_SECRETS", default={}))
if env.str("SANDBOX_WEBHOOK_SECRET", default=""):
    PAYMENT_WEBHOOK_SECRETS["sandbox"] = env.str("SANDBOX_WEBHOOK_SECRET")
MFA_REQUIRED_ROLES = env.list("MFA_REQUIRED_ROLES", default=["admin", "manager"])

SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Production runs behind a TLS-terminating proxy (docker/compose.yaml: one). Set NUM_PROXIES to the number
# of trusted proxies in front of the app, or client IPs (lockout, throttles, audit) collapse into one.
SECURE_REDIRECT_EXEMPT = [r"^health$"]
SECURE_HSTS_SECONDS = 31_536_000
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SESSION_COOKIE_AGE = 60 * 60 * 8

STORAGES = {
    "default": {"BACKEND": env.str("DEFAULT_FILE_STORAGE", default="storages.backends.s3.S3Storage")},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    # Private documents: S3-compatible bucket without public ACLs by default; filesystem when
    # DOCUMENTS_STORAGE=django.core.files.storage.FileSystemStorage (PRIVATE_MEDIA_ROOT).
    "documents": {
        "BACKEND": env.str("DOCUMENTS_STORAGE", default="storages.backends.s3.S3Storage"),
        "OPTIONS": (
            {
                "location": str(PRIVATE_MEDIA_ROOT),
                "base_url": None,
                "file_permissions_mode": 0o600,
                "directory_permissions_mode": 0o700,
            }
            if env.str("DOCUMENTS_STORAGE", default="").endswith("FileSystemStorage")
            else {
                "bucket_name": env.str("AWS_DOCUMENTS_BUCKET", default="insureops-documents"),
                "default_acl": "private",
                "querystring_auth": True,
                "file_overwrite": False,
            }
        ),
    },
}
AWS_STORAGE_BUCKET_NAME = env.str("AWS_STORAGE_BUCKET_NAME", default="insureops-files")
AWS_S3_ENDPOINT_URL = env.str("AWS_S3_ENDPOINT_URL", default=None)
AWS_DEFAULT_ACL = None
AWS_S3_FILE_OVERWRITE = False
AWS_QUERYSTRING_AUTH = True

_mail_backend = env.str("EMAIL_BACKEND", default="django.core.mail.backends.smtp.EmailBackend")
MAILERS = {"default": {"BACKEND": _mail_backend}}
if _mail_backend.endswith("smtp.EmailBackend"):  # other backends take no SMTP options
    MAILERS["default"]["OPTIONS"] = {
        "host": env.str("SMTP_HOST", default="localhost"),
        "port": env.int("SMTP_PORT", default=587),
        "username": env.str("SMTP_USER", default=""),
        "password": env.str("SMTP_PASS", default=""),
        "use_tls": env.bool("SMTP_TLS", default=True),
    }
# Messaging: the sandbox provider's webhook is open only with an explicit secret (no default in production).
MESSAGING_PROVIDER_CONFIG["sandbox"]["secret"] = env.str("MESSAGING_SANDBOX_SECRET", default="")
