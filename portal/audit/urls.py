"""The audit log's pages (namespace `audit`)."""

from __future__ import annotations

from django.urls import path

from portal.audit import views

app_name = "audit"

urlpatterns = [
    path("", views.audit_log, name="log"),
    path("export/", views.audit_log_export, name="export"),
]
