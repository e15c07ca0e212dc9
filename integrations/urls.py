from django.urls import path

from integrations import views

app_name = "integrations"

urlpatterns = [
    path("api/requests/", views.request_list, name="api_requests"),
    path("demo/article/", views.demo_article, name="demo_article"),
]
