"""Local development: `make run`. Debug on, console email, demo accounts allowed."""

from .base import *

DEBUG = env.bool("DEBUG", default=True)
INTERNAL_IPS = ["127.0.0.1"]
