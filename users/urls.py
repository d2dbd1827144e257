from __future__ import annotations

from django.urls import path

from users import views

app_name = "users"

# Users live under their customer, as in Partner Center: /customers/<id>/users/<user id>/.
urlpatterns = [
    path(
        "customers/<uuid:customer_id>/users/<uuid:user_id>/",
        views.user_detail,
        name="detail",
    ),
]
