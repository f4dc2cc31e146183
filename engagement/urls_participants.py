"""The organisers' participant pages, under /participants/."""

from django.urls import path

from .views import organiser_participants as views

urlpatterns = [
    path("", views.participant_list, name="participant_list"),
    path("import/", views.participant_import, name="participant_import"),
]
