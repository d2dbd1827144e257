from __future__ import annotations

from django.urls import path

from portal.connection import views

app_name = "connection"

urlpatterns = [
    path("", views.connection_page, name="page"),
    path("connect/", views.connection_connect, name="connect"),
    # Registered as a redirect URI of the partner's Entra app (README: Production).
    path("callback/", views.connection_callback, name="callback"),
]
