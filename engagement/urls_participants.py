"""The organisers' participant pages, under /participants/."""

from django.urls import path

from .views import organiser_participant_data as data
from .views import organiser_participants as views

urlpatterns = [
    path("", views.participant_list, name="participant_list"),
    path("import/", views.participant_import, name="participant_import"),
    path("import/<int:pk>/", views.participant_import_job, name="participant_import_job"),
    # A person's rights (managers and owners).
    path("<int:pk>/", data.participant_data_page, name="participant_data_page"),
    path("<int:pk>/data.<str:kind>", data.participant_data_export,
         name="participant_data_export"),
    path("<int:pk>/erase/", data.participant_data_erase_page, name="participant_data_erase_page"),
    path("<int:pk>/email-deliverable/", views.participant_email_clear,
         name="participant_email_clear"),
]
