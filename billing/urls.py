from django.urls import path

from billing.views import finance, webhook

app_name = "billing"

urlpatterns = [
    path("billing/stripe/webhook/", webhook.stripe_webhook, name="stripe_webhook"),
    path("staff/invoices/", finance.invoice_list, name="invoice_list"),
    path("staff/invoices.csv", finance.invoice_csv, name="invoice_csv"),
    path("staff/invoices/<str:number>/", finance.invoice_detail, name="invoice_detail"),
    path("staff/invoices/<str:number>/payments/", finance.record_transfer, name="record_transfer"),
]
