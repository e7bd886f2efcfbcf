from django.urls import path

from statuses import views

urlpatterns = [
    path("status/qr.svg", views.personal_qr, name="personal_qr"),
]
