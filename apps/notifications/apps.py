from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "apps.notifications"
    label = "notifications"
    verbose_name = "Notifications"

    def ready(self) -> None:
        from apps.core.events import subscribe

        from .subscribers import HANDLERS

        def enqueue(event: dict) -> None:
            from .tasks import dispatch

            dispatch.delay(event)  # in a worker: creating rows and emails never slows the request that published

        for name in HANDLERS:
            subscribe(name, enqueue)
