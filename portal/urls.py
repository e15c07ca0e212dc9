from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from portal import views
from portal.rate_limits import Limit, posted, rate_limited

# Password guessing: counted per address and per username tried, on POST only.
login_limit = rate_limited(Limit("login_ip"), Limit("login_username", key=posted("username")))

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("contact/", views.contact, name="contact"),
    path("privacy/", views.privacy, name="privacy"),
    path("terms/", views.terms, name="terms"),
    path("accounts/login/", login_limit(views.StaffLoginView.as_view()), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    # The admin's own sign-in form shares the staff sign-in's limits.
    path("admin/login/", login_limit(admin.site.login), name="admin_login"),
    path("admin/", admin.site.urls),
    # set_language: the language switcher's form posts here.
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("licensing.urls")),
    path("", include("billing.urls")),
    path("", include("integrations.urls")),
]

handler400 = "portal.views.bad_request"
handler404 = "portal.views.page_not_found"
handler500 = "portal.views.server_error"
