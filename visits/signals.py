from django.apps import AppConfig
from django.db import DEFAULT_DB_ALIAS
from django.db.models.signals import post_migrate
from django.dispatch import receiver
from django.utils import timezone

from statuses.signals import statuses_changed
from visits.inside import visits_flag_worsened
from visits.partitions import visits_partitions_create_ahead


@receiver(statuses_changed, dispatch_uid="visits_flag_worsened")
def flag_people_inside(sender, *, iins, now, **kwargs) -> None:
    visits_flag_worsened(iins=iins, now=now)


@receiver(post_migrate, dispatch_uid="visits_partitions_ahead")
def partitions_ahead(sender: AppConfig, using: str, **kwargs) -> None:
    """Every `migrate` (a deploy, a new database) makes sure of the week's
    partitions, so that check-ins never wait for the first beat run."""
    if sender.label == "visits" and using == DEFAULT_DB_ALIAS:
        visits_partitions_create_ahead(timezone.now())
