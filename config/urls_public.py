"""The public site: landing, sign-up, consultants' and staff tools, the admin."""

from anymail.webhooks import brevo, mailgun, mailjet, postmark
from django.conf import settings
from django.contrib import admin
from django.urls import path, re_path
from django.views.generic import RedirectView

from billing import views as billing_views
from billing import views_public as offer_pages
from directory import views as directory
from engagement.views import fullmobs_profile, spaces
from lab.portfolio import api as api_portfolio
from lab.portfolio import views as views_portfolio
from methodology import views as console
from tenants import api as tenant_api
from tenants import views_login, views_signup
from tenants import views_public as public_pages
from tenants.auth_api import ObtainTokenView

from .api import not_found
from .urls_common import urlpatterns as common

# Mailgun signs its events with a key of its own, without which its view cannot check one:
# routed only when that key is configured (anywhere else the address is a 404, not a 500).
mailgun_tracking = [
    path("anymail/mailgun/tracking/", mailgun.MailgunTrackingWebhookView.as_view(),
         name="anymail_mailgun_tracking"),
] if settings.ANYMAIL.get("MAILGUN_WEBHOOK_SIGNING_KEY") else []

urlpatterns = [
    path("", offer_pages.landing, name="landing"),
    path("signup/", views_signup.signup, name="signup"),
    path("pricing/", offer_pages.pricing, name="pricing"),
    path("demo/", offer_pages.demo_request, name="demo_request"),
    path("demo/thanks/", offer_pages.demo_request_thanks, name="demo_request_thanks"),
    path("accessibility/", public_pages.accessibility, name="accessibility"),
    path("actions/", directory.actions, name="directory"),
    path("actions/feed.rss", directory.actions_rss, name="directory_rss"),
    path("actions/calendar.ics", directory.actions_ics, name="directory_ics"),
    path("signup/check-address/", views_signup.check_slug, name="check_slug"),
    path("signup/verify/<str:token>/", views_signup.verify_owner_email,
         name="verify_owner_email"),
    path("accounts/", spaces.my_spaces, name="my_spaces"),
    # A person's actions across organisations (engagement.views.fullmobs_profile).
    path("my-actions/", fullmobs_profile.profile_request, name="profile_request"),
    path("my-actions/link/<str:token>/", fullmobs_profile.profile_open, name="profile_open"),
    path("my-actions/profile/", fullmobs_profile.profile_page, name="profile_page"),
    path("my-actions/profile/data.<str:kind>", fullmobs_profile.profile_download,
         name="profile_download"),
    path("my-actions/profile/erase/", fullmobs_profile.profile_erase, name="profile_erase"),
    path("accounts/spaces/<slug:slug>/", views_login.enter_space, name="enter_space"),
    # The admin logs in through the same page as everyone (lockout, second factor).
    path("admin/login/", RedirectView.as_view(pattern_name="login", query_string=True)),
    path("admin/", admin.site.urls),
    path("billing/stripe/webhook/", billing_views.stripe_webhook, name="stripe_webhook"),
    # The e-mail provider's bounce and complaint reports (engagement.webhooks), behind
    # ANYMAIL["WEBHOOK_SECRET"]'s basic auth: the address configured at the provider is
    # https://user:password@<BASE_DOMAIN>/anymail/<provider>/tracking/.
    path("anymail/brevo/tracking/", brevo.BrevoTrackingWebhookView.as_view(),
         name="anymail_brevo_tracking"),
    path("anymail/mailjet/tracking/", mailjet.MailjetTrackingWebhookView.as_view(),
         name="anymail_mailjet_tracking"),
    path("anymail/postmark/tracking/", postmark.PostmarkTrackingWebhookView.as_view(),
         name="anymail_postmark_tracking"),
    *mailgun_tracking,
    path("console/time/", billing_views.consultant_time, name="consultant_time"),
    path("console/time/<int:pk>/", billing_views.consultant_time_edit,
         name="consultant_time_edit"),
    path("console/clients/", views_portfolio.portfolio, name="consultant_portfolio"),
    path("console/", console.console_index, name="console_index"),
    path("console/new/", console.console_new, name="console_new"),
    path("console/<slug:slug>/", console.console_template, name="console_template"),
    path("console/<slug:slug>/new-draft/", console.console_new_draft, name="console_new_draft"),
    path("console/<slug:slug>/diff/", console.console_diff, name="console_diff"),
    path("console/<slug:slug>/v<int:number>/", console.console_version, name="console_version"),
    path("console/<slug:slug>/v<int:number>/edit/", console.console_edit, name="console_edit"),
    path("console/<slug:slug>/v<int:number>/publish/", console.console_publish,
         name="console_publish"),
    path("api/v1/auth/token/", ObtainTokenView.as_view(), name="api-token"),
    path("api/v1/organisations/", tenant_api.OrganisationListCreate.as_view(),
         name="api-organisations"),
    path("api/v1/portfolio/", api_portfolio.PortfolioList.as_view(), name="api-portfolio"),
    path("api/v1/directory/track-record/", directory.track_record_api,
         name="api-directory-track-record"),
    re_path(r"^api/v1/", not_found),  # anything else under the API: a JSON 404
    *common,
]
handler404 = "config.error_pages.not_found"
