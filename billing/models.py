"""Quotes, and later invoices, credit notes and payments.

`billing` never imports `licensing`: it knows documents and amounts, not
articles. The request reference is carried as plain text.
"""

from django.db import models


class Quote(models.Model):
    """The fee a reviewer approved, valid until a date; the invoice follows it."""

    reference = models.CharField(max_length=20, db_index=True, help_text="Request reference")
    description = models.CharField(max_length=500)
    buyer_name = models.CharField(max_length=200)
    buyer_email = models.EmailField()
    amount_minor = models.PositiveIntegerField(help_text="Net fee in minor units (pence, cents)")
    currency = models.CharField(max_length=3)
    valid_until = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount_minor__gt=0), name="quote_fee_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"Quote for {self.reference}"
