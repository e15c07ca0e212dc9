from django.urls import path

from licensing.views import account, amend, documents, notices, payment, public, staff, verify

app_name = "licensing"

urlpatterns = [
    path("articles/", public.article_list, name="article_list"),
    path("articles/<slug:slug>/", public.article_detail, name="article_detail"),
    path("articles/<slug:slug>/republish/", public.request_form, name="request_form"),
    path("articles/<slug:slug>/estimate/", public.estimate, name="estimate"),
    path("republish/", public.republish_redirect, name="republish_redirect"),
    path("requests/<uuid:uuid>/", public.request_detail, name="request_detail"),
    path("requests/<uuid:uuid>/reply/", public.request_reply, name="request_reply"),
    path("requests/<uuid:uuid>/withdraw/", public.request_withdraw, name="request_withdraw"),
    path("requests/<uuid:uuid>/resend/", public.request_resend, name="request_resend"),
    path("requests/<uuid:uuid>/edit/", amend.request_edit, name="request_edit"),
    path("requests/<uuid:uuid>/renew/", amend.request_renew, name="request_renew"),
    path("requests/<uuid:uuid>/pay/", payment.pay_by_card, name="pay_by_card"),
    path("billing/invoices/<uuid:uuid>/pdf", documents.invoice_pdf, name="invoice_pdf"),
    path("billing/invoices/<uuid:uuid>/ubl", documents.invoice_ubl_xml, name="invoice_ubl"),
    path("billing/credit-notes/<uuid:uuid>/pdf", documents.credit_note_pdf, name="credit_note_pdf"),
    path("licences/<uuid:uuid>/pdf", documents.licence_pdf, name="licence_pdf"),
    path("notices/<uuid:uuid>/done/", notices.acknowledge, name="notice_acknowledge"),
    path("verify/", verify.verify_form, name="verify_form"),
    path("verify/<str:number>.json", verify.verify_json, name="verify_json"),
    path("verify/<str:number>/", verify.verify, name="verify"),
    path("account/", account.account, name="account"),
    path("account/login/", account.account_login, name="account_login"),
    path("account/magic/", account.account_magic, name="account_magic"),
    path("account/logout/", account.account_logout, name="account_logout"),
    path("staff/", staff.queue, name="staff_queue"),
    path("staff/requests.csv", staff.queue_csv, name="staff_queue_csv"),
    path("staff/assign/", staff.bulk_assign, name="staff_bulk_assign"),
    path("staff/requests/<int:pk>/", staff.request_page, name="staff_request"),
    path(
        "staff/requests/<int:pk>/<slug:action>/", staff.request_action, name="staff_request_action"
    ),
    path("staff/articles/<slug:slug>/", notices.staff_article, name="staff_article"),
    path(
        "staff/articles/<slug:slug>/correction/",
        notices.send_correction,
        name="staff_article_correction",
    ),
    path(
        "staff/articles/<slug:slug>/takedown/",
        notices.request_takedown,
        name="staff_article_takedown",
    ),
]
