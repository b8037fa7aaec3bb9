"""Core's own subscriber: any event may change a dashboard figure (apps.core.figures)."""

from .figures import bump_generation

SUBSCRIPTIONS = {"*": bump_generation}
