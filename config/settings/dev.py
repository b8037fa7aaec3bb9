"""Local development: `make run`. Debug on, console email, demo accounts allowed."""

import os

from .base import *

DEBUG = env.bool("DEBUG", default=True)

# `make run` exports DATABASE_URL; a plain `manage.py …` in another terminal finds the same embedded PostgreSQL
# (var/pgdata) while it runs, instead of the server default that a laptop may not have.
if "DATABASE_URL" not in os.environ and any((BASE_DIR / "var" / "pgdata").glob(".s.PGSQL.*")):
    DATABASES["default"].update(env.db_url_config(f"postgres://postgres@/insureops?host={BASE_DIR / 'var' / 'pgdata'}"))
INTERNAL_IPS = ["127.0.0.1"]

# Web Push in `make run`: a VAPID key pair made once for this checkout (var/webpush-vapid.json, never committed),
# so the portal profile's "Notifications on this browser" works locally; production sets its own keys.
if not (WEBPUSH_VAPID_PRIVATE_KEY and WEBPUSH_VAPID_PUBLIC_KEY):
    import base64
    import json

    _vapid_file = VAR_DIR / "webpush-vapid.json"
    if not _vapid_file.exists():
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import ec

        def _b64(data: bytes) -> str:
            return base64.urlsafe_b64encode(data).decode().rstrip("=")

        _key = ec.generate_private_key(ec.SECP256R1())
        _vapid_file.parent.mkdir(parents=True, exist_ok=True)
        _vapid_file.write_text(
            json.dumps(
                {
                    "private": _b64(_key.private_numbers().private_value.to_bytes(32, "big")),
                    "public": _b64(
                        _key.public_key().public_bytes(
                            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
                        )
                    ),
                }
            )
        )
        _vapid_file.chmod(0o600)
    _vapid = json.loads(_vapid_file.read_text())
    WEBPUSH_VAPID_PRIVATE_KEY, WEBPUSH_VAPID_PUBLIC_KEY = _vapid["private"], _vapid["public"]
