"""Dashboard pages and CSV exports of an organisation's space."""

from django.urls import path

from . import views_dashboard as views
from . import views_snowball

urlpatterns = [
    path("dashboard/", views.overview, name="dashboard"),
    path("dashboard/programmes/<int:pk>/", views.programme_dashboard,
         name="dashboard_programme"),
    path("dashboard/campaigns/<int:pk>/", views.campaign_dashboard,
         name="dashboard_campaign"),
    path("dashboard/campaigns/<int:pk>/snowball/", views_snowball.campaign_snowball,
         name="campaign_snowball"),
    path("dashboard/exports/participants.csv", views.export_participants,
         name="export_participants"),
    path("dashboard/exports/pledges.csv", views.export_pledges, name="export_pledges"),
    path("dashboard/exports/impact.csv", views.export_impact, name="export_impact"),
    path("dashboard/exports/invitations.csv", views.export_invitations,
         name="export_invitations"),
]
