from django.apps import AppConfig
from django.utils.html import format_html
from django.utils.translation import gettext


def _translated_boolean_icon(field_val: bool | None) -> str:
    # Django's admin gives its yes/no icons the English text alternative
    # "True"/"False"/"None", which a screen reader reads out on a Kazakh page.
    from django.templatetags.static import static

    icon, text = {
        True: ("yes", gettext("Yes")),
        False: ("no", gettext("No")),
        None: ("unknown", gettext("Unknown")),
    }[field_val]
    return format_html('<img src="{}" alt="{}">', static(f"admin/img/icon-{icon}.svg"), text)


class AshyqConfig(AppConfig):
    name = "ashyq"
    verbose_name = "Ashyq"

    def ready(self) -> None:
        from django.contrib.admin.templatetags import admin_list

        # The admin's list, its read-only fields and display_for_value import
        # this function from admin_list when they run, so replacing it there
        # reaches all three.
        admin_list._boolean_icon = _translated_boolean_icon
