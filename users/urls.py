from __future__ import annotations

from django.urls import path

from users import views
from users.bulk import job_views
from users.bulk import views as bulk_views

app_name = "users"

# Users live under their customer, as in Partner Center: /customers/<id>/users/<user id>/.
urlpatterns = [
    path("scheduled/", views.scheduled_list, name="scheduled"),
    path("customers/<uuid:customer_id>/users/add/", views.user_add, name="add"),
    path(
        "customers/<uuid:customer_id>/users/add/username/",
        views.user_add_username_check,
        name="add_username_check",
    ),
    path(
        "customers/<uuid:customer_id>/users/<uuid:user_id>/",
        views.user_detail,
        name="detail",
    ),
    path(
        "customers/<uuid:customer_id>/users/<uuid:user_id>/update/",
        views.user_update,
        name="update",
    ),
    path(
        "customers/<uuid:customer_id>/users/<uuid:user_id>/reset-password/",
        views.user_reset_password,
        name="reset_password",
    ),
    path(
        "customers/<uuid:customer_id>/users/<uuid:user_id>/delete/",
        views.user_delete,
        name="delete",
    ),
    # Upload users (bulk).
    path("customers/<uuid:customer_id>/upload/", bulk_views.bulk_upload, name="bulk_upload"),
    path(
        "customers/<uuid:customer_id>/upload/template/",
        bulk_views.bulk_template,
        name="bulk_template",
    ),
    path(
        "customers/<uuid:customer_id>/upload/annotated/<str:token>/",
        bulk_views.bulk_annotated,
        name="bulk_annotated",
    ),
    path("customers/<uuid:customer_id>/upload/save/", job_views.bulk_save, name="bulk_save"),
    # A saved upload: its progress, results and passwords.
    path(
        "customers/<uuid:customer_id>/uploads/<uuid:job_id>/",
        job_views.bulk_job,
        name="bulk_job",
    ),
    path(
        "customers/<uuid:customer_id>/uploads/<uuid:job_id>/cancel/",
        job_views.bulk_job_cancel_view,
        name="bulk_job_cancel",
    ),
    path(
        "customers/<uuid:customer_id>/uploads/<uuid:job_id>/run-now/",
        job_views.bulk_job_run_now,
        name="bulk_job_run_now",
    ),
    path(
        "customers/<uuid:customer_id>/uploads/<uuid:job_id>/retry/",
        job_views.bulk_job_retry,
        name="bulk_job_retry",
    ),
    path(
        "customers/<uuid:customer_id>/uploads/<uuid:job_id>/results/",
        job_views.bulk_job_results,
        name="bulk_job_results",
    ),
    path(
        "customers/<uuid:customer_id>/uploads/<uuid:job_id>/passwords/",
        job_views.bulk_job_passwords,
        name="bulk_job_passwords",
    ),
    path(
        "customers/<uuid:customer_id>/uploads/<uuid:job_id>/passwords/reset/",
        job_views.bulk_job_passwords_reset,
        name="bulk_job_passwords_reset",
    ),
    # An action on users selected in the list; it runs as a job (the bulk job pages).
    path("customers/<uuid:customer_id>/users/selected/", views.users_selected, name="selected"),
    path(
        "customers/<uuid:customer_id>/deleted/restore/",
        views.users_restore_view,
        name="restore",
    ),
]
