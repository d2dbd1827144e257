"""Signing in and out, and changing one's own password (namespace `staff`)."""

from __future__ import annotations

from django.urls import path

from portal.staff import factor_views, views

app_name = "staff"

urlpatterns = [
    path("sign-in/", views.PortalSignInView.as_view(), name="login"),
    path("sign-in/microsoft/", views.entra_sign_in, name="entra_sign_in"),
    path("sign-in/microsoft/callback/", views.entra_callback, name="entra_callback"),
    path("sign-out/", views.SignOutView.as_view(), name="logout"),
    path("sign-in/code/", factor_views.second_factor, name="second_factor"),
    path("account/", views.account, name="account"),
    path("account/second-factor/", factor_views.second_factor_enrol, name="second_factor_enrol"),
    path(
        "account/second-factor/recovery-codes/",
        factor_views.recovery_codes_new,
        name="recovery_codes_new",
    ),
    path(
        "account/sign-out-everywhere/", views.sign_out_everywhere_view, name="sign_out_everywhere"
    ),
    path("account/password/", views.ChangePasswordView.as_view(), name="password_change"),
]
