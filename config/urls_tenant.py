"""An organisation's space, at <slug>.<BASE_DOMAIN>."""

from django.urls import include, path, re_path
from rest_framework.routers import DefaultRouter

from billing import views as billing_views
from billing import views_brand, views_settings
from billing import views_buying as billing_buying
from engagement.api import campaigns as campaign_api
from engagement.api import impact as impact_api
from engagement.api import invitation_jobs as invitation_job_api
from engagement.api import invitations as invitation_api
from engagement.api import participant_imports as participant_import_api
from engagement.api import participants as participant_api
from engagement.api import pledges as pledge_api
from engagement.api import programmes as programme_api
from engagement.api import public as public_api
from engagement.api import register as register_api
from engagement.api import skills as skill_api
from engagement.api import teams as team_api
from engagement.views import organiser_home, register
from engagement.views import organiser_programmes as engagement_views
from lab.evidence import api as evidence_api
from lab.experiments import api as experiment_api
from lab.forecasts import api as forecast_api
from methodology import api as methodology_api
from reports import api as reports_api
from reports import api_behaviour as behaviour_api
from tenants import api as tenant_api
from tenants import api_organisation as organisation_api
from tenants import auth_views as security_views
from tenants import (
    views_closure,
    views_consultants,
    views_files,
    views_login,
    views_members,
    views_signup,
)

from .api import not_found
from .urls_common import urlpatterns as common

router = DefaultRouter()
router.register("programmes", programme_api.ProgrammeViewSet, basename="programme")
router.register(r"programmes/(?P<programme_pk>\d+)/steps", programme_api.StepViewSet,
                basename="programme-step")
router.register("campaigns", campaign_api.CampaignViewSet, basename="campaign")
router.register("slots", campaign_api.SlotViewSet, basename="slot")
router.register("participants", participant_api.ParticipantViewSet, basename="participant")
router.register("participant-imports", participant_import_api.ParticipantImportJobViewSet,
                basename="participant-import")
router.register("pledges", pledge_api.PledgeViewSet, basename="pledge")
# "invitations/" invites colleagues to the space; these invite people to campaigns.
router.register("campaign-invitations", invitation_api.CampaignInvitationViewSet,
                basename="campaign-invitation")
router.register("invitation-jobs", invitation_job_api.InvitationJobViewSet,
                basename="invitation-job")
router.register("impact-records", impact_api.ImpactRecordViewSet,
                basename="impact-record")
router.register("teams", team_api.TeamViewSet, basename="team")
router.register("skills", skill_api.SkillViewSet, basename="skill")
router.register("team-challenges", team_api.TeamChallengeViewSet, basename="team-challenge")
router.register("templates", methodology_api.TemplateViewSet, basename="template")
router.register("levers", methodology_api.LeverViewSet, basename="lever")
router.register("indicators", methodology_api.IndicatorViewSet, basename="indicator")
router.register("metrics/campaigns", reports_api.CampaignMetricsViewSet,
                basename="metrics-campaign")
router.register("metrics/programmes", reports_api.ProgrammeMetricsViewSet,
                basename="metrics-programme")
router.register("metrics/period", reports_api.PeriodMetricsViewSet, basename="metrics-period")
router.register("metrics/levers", reports_api.LeverAnalysisViewSet, basename="metrics-levers")
router.register("metrics/csrd", reports_api.CsrdViewSet, basename="metrics-csrd")
router.register("metrics/behaviour/programmes", behaviour_api.ProgrammeBehaviourViewSet,
                basename="metrics-behaviour-programme")
router.register("metrics/behaviour/period", behaviour_api.PeriodBehaviourViewSet,
                basename="metrics-behaviour-period")
router.register("reports", reports_api.ReportViewSet, basename="report")
router.register("experiments", experiment_api.ExperimentViewSet, basename="experiment")

api_v1 = [
    path("me/", tenant_api.MeView.as_view(), name="api-me"),
    path("members/", tenant_api.MemberList.as_view(), name="api-members"),
    path("invitations/", tenant_api.InvitationCreate.as_view(), name="api-invitations"),
    path("organisation/privacy/", organisation_api.PrivacyView.as_view(),
         name="api-organisation-privacy"),
    path("organisation/register/", register_api.RegisterView.as_view(),
         name="api-organisation-register"),
    path("organisation/closure/", organisation_api.ClosureView.as_view(),
         name="api-organisation-closure"),
    path("organisation/closure/archive/", organisation_api.ClosureArchiveView.as_view(),
         name="api-organisation-closure-archive"),
    path("public/campaigns/<slug:code>/", public_api.PublicCampaignView.as_view(),
         name="api-public-campaign"),
    path("public/campaigns/<slug:code>/join/", public_api.PublicJoinView.as_view(),
         name="api-public-campaign-join"),
    path("slots/<int:pk>/skill/", skill_api.SlotSkillView.as_view(), name="api-slot-skill"),
    path("pledges/<int:pk>/skill/", skill_api.PledgeSkillView.as_view(),
         name="api-pledge-skill"),
    path("campaigns/<int:pk>/forecast/", forecast_api.CampaignForecastView.as_view(),
         name="api-campaign-forecast"),
    path("evidence/", evidence_api.EvidenceView.as_view(), name="api-evidence"),
    *router.urls,
    # Last: an address under /api/v1/ that nothing above matched is a JSON 404.
    re_path(r"^.*$", not_found),
]

urlpatterns = [
    path("", organiser_home.home, name="home"),
    path("members/", views_members.members, name="members"),
    path("members/invite/", views_members.invite, name="invite"),
    path("members/access-log/", views_consultants.access_log, name="access_log"),
    path("members/consultants/<int:consultant_id>/end/", views_consultants.end_assignment,
         name="end_assignment"),
    path("settings/verify-email/", views_signup.resend_verification,
         name="resend_verification"),
    path("invitations/<str:token>/", views_members.accept, name="accept_invitation"),
    path("accounts/handoff/<str:token>/", views_login.handoff, name="handoff"),
    path("settings/", views_settings.organisation_settings, name="organisation_settings"),
    path("settings/two-factor/", security_views.organisation_two_factor,
         name="organisation_two_factor"),
    path("privacy/register/", register.privacy_register, name="privacy_register"),
    path("settings/closure/", views_closure.closure, name="organisation_closure"),
    path("settings/closure/cancel/", views_closure.closure_cancel,
         name="organisation_closure_cancel"),
    path("settings/closure/export/", views_closure.closure_archive,
         name="organisation_closure_archive"),
    path("billing/", billing_views.billing_home, name="billing_home"),
    path("billing/checkout/", billing_views.billing_checkout, name="billing_checkout"),
    path("billing/offer/", billing_views.billing_offer, name="billing_offer"),
    path("billing/details/", billing_buying.billing_details, name="billing_details"),
    path("billing/order/", billing_buying.billing_order, name="billing_order"),
    path("billing/quotes/<int:pk>/pdf/", billing_buying.billing_quote_pdf,
         name="billing_quote_pdf"),
    path("billing/accompaniment/", billing_buying.billing_accompaniment,
         name="billing_accompaniment"),
    path("billing/portal/", billing_views.billing_portal, name="billing_portal"),
    path("billing/invoices/", billing_views.billing_invoices, name="billing_invoices"),
    path("media/<str:schema_name>/<path:path>", views_files.tenant_media, name="media"),
    # Public: e-mails show it to readers who have no session.
    path("brand/logo/", views_brand.organisation_logo, name="brand_logo"),
    path("", include("engagement.urls")),
    path("", include("reports.urls_reports")),
    path("", include("reports.urls_results")),
    path("", include("reports.urls_dashboard")),
    path("", include("reports.urls_value")),
    path("", include("engagement.urls_partners")),
    path("", include("reports.urls_partner")),
    path("participants/", include("engagement.urls_participants")),
    path("", include("lab.urls_experiments")),
    path("programmes/", engagement_views.programme_list, name="programmes"),
    path("programmes/<int:pk>/", engagement_views.programme_detail, name="programme_detail"),
    path("programmes/<int:pk>/edit/", engagement_views.programme_edit, name="programme_edit"),
    path("programmes/<int:pk>/steps/<int:step_id>/", engagement_views.step_status,
         name="step_status"),
    path("programmes/<int:pk>/upgrade/", engagement_views.programme_upgrade,
         name="programme_upgrade"),
    path("methodology/", engagement_views.template_library, name="template_library"),
    path("methodology/<slug:slug>/", engagement_views.template_detail, name="template_detail"),
    path("api/v1/", include(api_v1)),
    *common,
]
handler404 = "config.error_pages.not_found"
