"""A campaign's partner: the organisers' pages and the logo's public address."""

from django.urls import path

from .views import organiser_partners, partner_logo

urlpatterns = [
    path("c/<slug:code>/partner-logo/", partner_logo.campaign_partner_logo,
         name="campaign_partner_logo"),
    path("campaigns/<int:pk>/partner/", organiser_partners.campaign_partner,
         name="campaign_partner"),
    path("campaigns/<int:pk>/partner/remove/", organiser_partners.campaign_partner_delete,
         name="campaign_partner_delete"),
    path("campaigns/<int:pk>/partner/link/", organiser_partners.campaign_partner_link,
         name="campaign_partner_link"),
    path("campaigns/<int:pk>/partner/link/revoke/",
         organiser_partners.campaign_partner_link_revoke, name="campaign_partner_link_revoke"),
]
