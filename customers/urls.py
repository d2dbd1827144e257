from __future__ import annotations

from django.urls import path

from customers import views

app_name = "customers"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("search/", views.search, name="search"),
    path("customers/", views.customer_list, name="list"),
    path("customers/refresh/", views.customer_list_refresh, name="list_refresh"),
    path("customers/<uuid:customer_id>/", views.customer_users, name="users"),
    path("customers/<uuid:customer_id>/deleted/", views.customer_deleted_users, name="deleted"),
    path("customers/<uuid:customer_id>/loading/", views.customer_loading, name="loading"),
    path("customers/<uuid:customer_id>/refresh/", views.customer_refresh, name="refresh"),
    path("customers/<uuid:customer_id>/export/", views.customer_users_export, name="export"),
]
