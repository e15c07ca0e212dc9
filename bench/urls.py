"""The portal's URLs plus the two baselines the web figures are read against."""

from django.urls import include, path

from bench import views

urlpatterns = [
    path("bench/bare/", views.bare, name="bench_bare"),
    path("bench/plain-form/<slug:slug>/", views.plain_form, name="bench_plain_form"),
    path("", include("portal.urls")),
]

handler404 = "portal.views.page_not_found"
