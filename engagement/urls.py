"""Campaign, participant and organiser pages of an organisation's space."""

from django.urls import path

from . import views_campaigns as views

urlpatterns = [
    # Anyone with the address (internal campaigns check who joins).
    path("c/<slug:code>/", views.campaign_page, name="campaign_page"),
    path("c/<slug:code>/join/", views.campaign_join_view, name="campaign_join"),
    path("c/<slug:code>/verify/", views.campaign_verify, name="campaign_verify"),
    path("c/<slug:code>/check-in/<str:secret>/", views.campaign_checkin,
         name="campaign_checkin"),
    path("c/<slug:code>/calendar.ics", views.campaign_calendar, name="campaign_calendar"),
    # Participants, through their signed link.
    path("me/<str:token>/", views.participant_home, name="participant_home"),
    path("me/<str:token>/go/<slug:code>/", views.participant_go, name="participant_go"),
    path("me/<str:token>/pledges/<int:pledge_id>/cancel/", views.participant_cancel,
         name="participant_cancel"),
    path("me/<str:token>/pledges/<int:pledge_id>/check-in-code.svg",
         views.participant_checkin_code, name="participant_checkin_code"),
    path("me/<str:token>/pledges/<int:pledge_id>/calendar.ics", views.pledge_calendar,
         name="pledge_calendar"),
    path("me/<str:token>/unsubscribe/", views.participant_unsubscribe,
         name="participant_unsubscribe"),
    path("me/<str:token>/survey/<slug:code>/<str:moment>/", views.participant_survey,
         name="participant_survey"),
    # Organisers.
    path("programmes/<int:pk>/campaigns/new/", views.campaign_new, name="campaign_new"),
    path("campaigns/", views.campaign_list, name="campaign_list"),
    path("campaigns/<int:pk>/", views.campaign_detail, name="campaign_detail"),
    path("campaigns/<int:pk>/edit/", views.campaign_edit, name="campaign_edit"),
    path("campaigns/<int:pk>/open/", views.campaign_open_view, name="campaign_open"),
    path("campaigns/<int:pk>/slots/", views.campaign_slot_add, name="campaign_slot_add"),
    path("campaigns/<int:pk>/pledges/<int:pledge_id>/attendance/",
         views.campaign_attendance, name="campaign_attendance"),
    path("campaigns/<int:pk>/check-in/", views.campaign_checkin_desk,
         name="campaign_checkin_desk"),
    path("campaigns/<int:pk>/pledges/<int:pledge_id>/party/", views.campaign_party,
         name="campaign_party"),
    path("campaigns/<int:pk>/impact/", views.campaign_impact, name="campaign_impact"),
    path("campaigns/<int:pk>/invitations/", views.campaign_invite, name="campaign_invite"),
    path("campaigns/<int:pk>/qr.svg", views.campaign_qr, name="campaign_qr"),
    path("campaigns/<int:pk>/share-qr.svg", views.campaign_share_qr, name="campaign_share_qr"),
    path("campaigns/<int:pk>/poster/", views.campaign_poster, name="campaign_poster"),
    path("teams/", views.team_leaderboard, name="team_leaderboard"),
    path("levers/", views.lever_analytics, name="lever_analytics"),
]
