"""Lever experiments' pages in an organisation's space."""

from django.urls import path

from .experiments import views

urlpatterns = [
    path("experiments/", views.experiment_list, name="experiments"),
    path("experiments/new/<int:campaign_pk>/", views.experiment_new, name="experiment_new"),
    path("experiments/<int:pk>/", views.experiment_detail, name="experiment_detail"),
    path("experiments/<int:pk>/edit/", views.experiment_edit, name="experiment_edit"),
    path("experiments/<int:pk>/launch/", views.experiment_launch_view,
         name="experiment_launch"),
    path("experiments/<int:pk>/stop/", views.experiment_stop_view, name="experiment_stop"),
    path("experiments/<int:pk>/people.csv", views.experiment_export_csv,
         name="experiment_export_csv"),
    path("experiments/<int:pk>/result.sql", views.experiment_export_sql,
         name="experiment_export_sql"),
]
