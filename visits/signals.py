from django.dispatch import receiver

from statuses.signals import status_records_added
from visits.services import visits_flag_worsened


@receiver(status_records_added, dispatch_uid="visits_flag_worsened")
def flag_people_inside(sender, *, iins, now, **kwargs) -> None:
    visits_flag_worsened(iins=iins, now=now)
