"""The rate card: a suggested fee for a request, and auto-approval.

Rules are few (tens), so they are read whole and matched in Python, which
keeps "most specific wins" in one readable place (RuleConditions.matches).
"""

from collections.abc import Iterable

from licensing.models import AutoApprovalRule, PriceRule, RepublicationRequest, RuleConditions


def _best[R: RuleConditions](rules: Iterable[R], request: RepublicationRequest) -> R | None:
    matching = [rule for rule in rules if rule.matches(request)]
    if not matching:
        return None
    return min(matching, key=lambda rule: (-rule.specificity, rule.fee_minor, rule.pk))


def matching_price_rule(request: RepublicationRequest) -> PriceRule | None:
    return _best(PriceRule.objects.filter(active=True), request)


def suggest_fee(request: RepublicationRequest) -> tuple[int, str] | None:
    """(fee in minor units, currency) from the rate card, or None if no rule matches."""
    rule = matching_price_rule(request)
    return (rule.fee_minor, rule.currency) if rule else None


def matching_auto_approval_rule(request: RepublicationRequest) -> AutoApprovalRule | None:
    return _best(AutoApprovalRule.objects.filter(active=True), request)
