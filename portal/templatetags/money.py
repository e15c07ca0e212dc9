from django import template

from portal.money import format_money

register = template.Library()


@register.simple_tag
def money(amount_minor: int | None, currency: str) -> str:
    return format_money(amount_minor, currency)
