from modeltranslation.translator import TranslationOptions, register

from statuses.models import StatusInfo


@register(StatusInfo)
class StatusInfoTranslation(TranslationOptions):
    fields = ("title", "meaning", "where_allowed")
    required_languages = ("kk", "ru", "en")
