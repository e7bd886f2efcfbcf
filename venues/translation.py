from modeltranslation.translator import TranslationOptions, register

from venues.models import Category, Region, Venue


@register(Region)
class RegionTranslation(TranslationOptions):
    fields = ("name",)


@register(Category)
class CategoryTranslation(TranslationOptions):
    fields = ("name",)


@register(Venue)
class VenueTranslation(TranslationOptions):
    fields = ("name",)
