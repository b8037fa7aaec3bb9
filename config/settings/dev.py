"""Local development: `make run`. Debug on, console email, demo accounts allowed."""

import os

from .base import *

DEBUG = env.bool("DEBUG", default=True)

# `make run` exports DATABASE_URL; a plain `manage.py …` in another terminal finds the same embedded PostgreSQL
# (var/pgdata) while it runs, instead of the server default that a laptop may not have.
if "DATABASE_URL" not in os.environ and any((BASE_DIR / "var" / "pgdata").glob(".s.PGSQL.*")):
    DATABASES["default"].update(env.db_url_config(f"postgres://postgres@/insureops?host={BASE_DIR / 'var' / 'pgdata'}"))
INTERNAL_IPS = ["127.0.0.1"]
