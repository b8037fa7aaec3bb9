"""Celery application. Tasks live in each app's tasks.py and are discovered automatically."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")

app = Celery("insureops")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
