"""Invoices, credit notes and payments (built by the billing issue).

`billing` never imports `licensing`: it knows invoices, not articles.
"""
