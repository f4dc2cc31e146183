"""Campaign, participant and organiser pages of an organisation's space."""

from django.urls import path

from .views import (
    organiser_campaigns,
    organiser_pledges,
    participant,
    participant_consent,
    public,
)

urlpatterns = [
    # Anyone with the address (internal campaigns check who joins).
    path("c/<slug:code>/", public.campaign_page, name="campaign_page"),
    path("c/<slug:code>/join/", public.campaign_join_view, name="campaign_join"),
    path("c/<slug:code>/verify/", public.campaign_verify, name="campaign_verify"),
    path("c/<slug:code>/check-in/<str:secret>/", public.campaign_checkin,
         name="campaign_checkin"),
    path("c/<slug:code>/calendar.ics", public.campaign_calendar, name="campaign_calendar"),
    # Participants, through their signed link.
    path("me/<str:token>/", participant.participant_home, name="participant_home"),
    path("me/<str:token>/go/<slug:code>/", participant.participant_go, name="participant_go"),
    path("me/<str:token>/pledges/<int:pledge_id>/cancel/", participant.participant_cancel,
         name="participant_cancel"),
    path("me/<str:token>/pledges/<int:pledge_id>/check-in-code.svg",
         participant.participant_checkin_code, name="participant_checkin_code"),
    path("me/<str:token>/pledges/<int:pledge_id>/calendar.ics", participant.pledge_calendar,
         name="pledge_calendar"),
    path("me/<str:token>/unsubscribe/", participant.participant_unsubscribe,
         name="participant_unsubscribe"),
    path("me/<str:token>/consent/", participant_consent.participant_consent,
         name="participant_consent"),
    path("me/<str:token>/survey/<slug:code>/<str:moment>/", participant.participant_survey,
         name="participant_survey"),
    # Organisers.
    path("programmes/<int:pk>/campaigns/new/", organiser_campaigns.campaign_new,
         name="campaign_new"),
    path("campaigns/", organiser_campaigns.campaign_list, name="campaign_list"),
    path("campaigns/<int:pk>/", organiser_campaigns.campaign_detail, name="campaign_detail"),
    path("campaigns/<int:pk>/edit/", organiser_campaigns.campaign_edit, name="campaign_edit"),
    path("campaigns/<int:pk>/open/", organiser_campaigns.campaign_open_view,
         name="campaign_open"),
    path("campaigns/<int:pk>/slots/", organiser_campaigns.campaign_slot_add,
         name="campaign_slot_add"),
    path("campaigns/<int:pk>/pledges/<int:pledge_id>/attendance/",
         organiser_pledges.campaign_attendance, name="campaign_attendance"),
    path("campaigns/<int:pk>/check-in/", organiser_pledges.campaign_checkin_desk,
         name="campaign_checkin_desk"),
    path("campaigns/<int:pk>/pledges/<int:pledge_id>/party/", organiser_pledges.campaign_party,
         name="campaign_party"),
    path("campaigns/<int:pk>/impact/", organiser_campaigns.campaign_impact,
         name="campaign_impact"),
    path("campaigns/<int:pk>/invitations/", organiser_campaigns.campaign_invite,
         name="campaign_invite"),
    path("campaigns/<int:pk>/qr.svg", organiser_campaigns.campaign_qr, name="campaign_qr"),
    path("campaigns/<int:pk>/share-qr.svg", organiser_campaigns.campaign_share_qr,
         name="campaign_share_qr"),
    path("campaigns/<int:pk>/poster/", organiser_campaigns.campaign_poster,
         name="campaign_poster"),
    path("teams/", organiser_campaigns.team_leaderboard, name="team_leaderboard"),
    path("levers/", organiser_campaigns.lever_analytics, name="lever_analytics"),
]
