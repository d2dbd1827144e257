from __future__ import annotations

from django.urls import path

from users import views

app_name = "users"

# Users live under their customer, as in Partner Center: /customers/<id>/users/<user id>/.
urlpatterns = [
    path("customers/<uuid:customer_id>/users/add/", views.user_add, name="add"),
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
    path(
        "customers/<uuid:customer_id>/deleted/restore/",
        views.users_restore_view,
        name="restore",
    ),
]
