from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from portal import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    # set_language: the language switcher's form posts here.
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("licensing.urls")),
    path("", include("billing.urls")),
    path("", include("integrations.urls")),
]

handler404 = "portal.views.page_not_found"
