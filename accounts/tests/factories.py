"""Factories for the accounts every app's tests need."""

import factory

from accounts.models import User


class UserFactory(factory.django.DjangoModelFactory):
    """A person whose phone is confirmed, made through the manager as sign-up makes one."""

    class Meta:
        model = User
        skip_postgeneration_save = True

    phone = factory.Sequence(lambda n: f"+7701{n:07d}")
    language = "ru"
    phone_verified = True

    @classmethod
    def _create(cls, model_class, *args, **kwargs) -> User:
        return model_class.objects.create_user(*args, **kwargs)
