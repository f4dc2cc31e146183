"""Routes served on every host: accounts, language switch, API schema and docs."""

from csp.constants import UNSAFE_INLINE
from csp.decorators import csp_update
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog
from drf_spectacular.views import SpectacularSwaggerSplitView

from config.api import schema_view
from tenants import auth_views as security_views
from tenants import views_login

accounts = [
    path("login/", views_login.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password-reset/", views_login.PasswordResetView.as_view(), name="password_reset"),
    path("password-reset/sent/", auth_views.PasswordResetDoneView.as_view(
        template_name="tenants/password_reset_done.html"), name="password_reset_done"),
    path("reset/<uidb64>/<token>/", auth_views.PasswordResetConfirmView.as_view(
        template_name="tenants/password_reset_confirm.html"), name="password_reset_confirm"),
    path("reset/done/", auth_views.PasswordResetCompleteView.as_view(
        template_name="tenants/password_reset_complete.html"), name="password_reset_complete"),
    # One's own security: second factor, password, sessions (tenants/auth_views.py).
    path("two-factor/", security_views.two_factor_setup, name="two_factor_setup"),
    path("two-factor/verify/", security_views.two_factor_verify, name="two_factor_verify"),
    path("two-factor/disable/", security_views.two_factor_disable,
         name="two_factor_disable"),
    path("confirm-password/", security_views.reauthenticate, name="reauthenticate"),
    path("security/", security_views.account_security, name="account_security"),
    path("password/", security_views.password_change, name="password_change"),
]

urlpatterns = [
    path("accounts/", include(accounts)),
    path("i18n/", include("django.conf.urls.i18n")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("api/schema/", schema_view(), name="api-schema"),
    # The split view serves its script as a file (the Content-Security-Policy refuses inline
    # scripts); Swagger UI's page keeps a small inline <style>.
    path("api/docs/", csp_update({"style-src": [UNSAFE_INLINE]})(
        SpectacularSwaggerSplitView.as_view(url_name="api-schema")), name="api-docs"),
]
