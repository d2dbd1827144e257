from __future__ import annotations

from django.urls import path

from customers import views

app_name = "customers"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("customers/", views.customer_list, name="list"),
]
