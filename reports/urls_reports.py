"""Report pages of an organisation's space."""

from django.urls import path

from . import views_reports as views

urlpatterns = [
    path("reports/", views.report_list, name="report_list"),
    path("reports/<int:pk>/download/", views.report_download, name="report_download"),
    path("reports/commentary/<str:scope>/<str:key>/", views.commentary_edit,
         name="commentary_edit"),
]
