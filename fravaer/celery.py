"""The Celery app. Without CELERY_BROKER_URL, settings make every task run in-process."""

import os

from celery import Celery
from celery.signals import worker_ready

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fravaer.settings")

app = Celery("fravaer")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_ready.connect
def relay_outbox_at_start(sender, **kwargs) -> None:
    """A worker that starts (the broker is back, or after a deploy) sends at once what
    saves could not enqueue, rather than at beat's next minute."""
    sender.app.send_task("fravaer.tasks.relay_outbox_tasks")
