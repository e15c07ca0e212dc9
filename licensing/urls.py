from django.urls import path

from licensing import views

app_name = "licensing"

urlpatterns = [
    path("articles/", views.article_list, name="article_list"),
    path("articles/<slug:slug>/", views.article_detail, name="article_detail"),
    path("articles/<slug:slug>/republish/", views.request_form, name="request_form"),
    path("republish/", views.republish_redirect, name="republish_redirect"),
    path("requests/<uuid:uuid>/", views.request_detail, name="request_detail"),
]
