from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StatusesConfig(AppConfig):
    name = "statuses"
    verbose_name = _("Statuses")

    def ready(self) -> None:
        # Lab results and status records may carry the holder's phone number:
        # evidence the identity check (in accounts, which imports no app
        # above it) asks for through this registration.
        from accounts.identity import register_phone_evidence
        from statuses.selectors import phones_on_record

        register_phone_evidence(phones_on_record)
