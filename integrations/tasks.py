"""Background work for integrations: sending webhooks (a worker in production)."""

from django.tasks import task

from integrations import webhooks


@task
def deliver_webhook(*, delivery_id: int) -> None:
    webhooks.attempt_delivery(delivery_id=delivery_id)
