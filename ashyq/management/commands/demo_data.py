from django.core.management.base import BaseCommand

from accounts.models import User

DEMO_PEOPLE = [
    ("+77010000001", "Айгерім Сәрсенова", "kk"),
    ("+77010000002", "Иван Петров", "ru"),
    ("+77010000003", "Dana Nurlanovna", "en"),
]


class Command(BaseCommand):
    help = "Load demo data for a local run. Safe to run again: nothing is created twice."

    def handle(self, *args, **options) -> None:
        created = 0
        for phone, name, language in DEMO_PEOPLE:
            _, is_new = User.objects.get_or_create(
                phone=phone,
                defaults={"full_name": name, "language": language, "phone_verified": True},
            )
            created += is_new
        if not User.objects.filter(is_superuser=True).exists():
            User.objects.create_superuser("+77010000000", full_name="Demo Administrator")
            created += 1
        self.stdout.write(
            f"Demo data ready ({created} new). Sign in with any Kazakhstan mobile number; "
            "the administrator is +7 701 000 00 00. Codes are printed here and in var/sms.jsonl."
        )
