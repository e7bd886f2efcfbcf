from django.dispatch import receiver

from statuses.signals import statuses_changed
from visits.inside import visits_flag_worsened


@receiver(statuses_changed, dispatch_uid="visits_flag_worsened")
def flag_people_inside(sender, *, iins, now, **kwargs) -> None:
    visits_flag_worsened(iins=iins, now=now)
