"""The partner's read-only figures of a campaign (an open path: the link is the key)."""

from django.urls import path

from . import views_partner

urlpatterns = [
    path("partner/<str:token>/", views_partner.partner_figures, name="partner_figures"),
]
