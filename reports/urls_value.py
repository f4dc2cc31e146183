"""The value-of-time page, its settings, the CSRD export and the statement of
skills-based volunteering."""

from django.urls import path

from . import views_value as views

urlpatterns = [
    path("value/", views.value_of_time, name="value_of_time"),
    path("value/settings/", views.value_settings_save, name="value_settings_save"),
    path("value/skills/", views.skill_add, name="skill_add"),
    path("value/skills/<int:pk>/", views.skill_edit, name="skill_edit"),
    path("value/skills/<int:pk>/delete/", views.skill_remove, name="skill_remove"),
    path("value/csrd.csv", views.csrd_export, name="csrd_export"),
    path("value/statement.pdf", views.skills_statement_download,
         name="skills_statement"),
]
