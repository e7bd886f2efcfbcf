from django.urls import path

from accounts import views

urlpatterns = [
    path("language/", views.language, name="language"),
    path("profile/", views.profile, name="profile"),
    path("account/", views.account, name="account"),
]
