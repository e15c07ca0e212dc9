"""A licence as an ODRL 2.2 policy in JSON-LD, for other publishers' systems and crawlers."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from django.utils import translation

if TYPE_CHECKING:
    from licensing.models import Licence

# Its context also defines the dct, vcard and xsd prefixes used below.
ODRL_CONTEXT = "http://www.w3.org/ns/odrl.jsonld"
WORD = "http://www.wikidata.org/entity/Q8171"  # the unit an excerpt's size is counted in
PERCENT = "http://qudt.org/vocab/unit/PERCENT"


def _typed(value: str, datatype: str) -> dict[str, str]:
    return {"@value": value, "@type": f"xsd:{datatype}"}


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}/"


def _constraint(left: str, operator: str, right: object, **extra: Any) -> dict[str, Any]:
    return {"leftOperand": left, "operator": operator, "rightOperand": right, **extra}


def _notice_duties(licence: Licence) -> list[dict[str, Any]]:
    """What the publisher's notices since the licence was issued oblige its licensee to do:
    apply a correction ("modify"), take the article down by a date ("delete")."""
    duties = []
    for reached in licence.notices.select_related("notice").order_by("notice__sent_at", "pk"):
        notice = reached.notice
        duty: dict[str, Any] = {
            "action": "delete" if notice.is_takedown else "modify",
            "target": licence.article_url,
            "dct:issued": _typed(notice.sent_on.isoformat(), "date"),
            "dct:description": (
                f"Takedown requested ({notice.get_reason_display()})"
                if notice.is_takedown
                else f"Correction: {notice.message}"
            ),
        }
        if notice.remove_by:
            duty["constraint"] = [
                _constraint("dateTime", "lteq", _typed(notice.remove_by.isoformat(), "date"))
            ]
        duties.append(duty)
    return duties


def licence_policy(licence: Licence) -> dict[str, Any]:
    """The licence as an ODRL Agreement: who may do what with which article, where and when,
    and what the publisher's corrections and takedowns since oblige the licensee to do."""
    with translation.override("en"):
        territory = (
            # ISO 3166-1 alpha-2 for one country; the region's name otherwise.
            str(licence.licensee_country)
            if licence.single_country
            else str(licence.get_territory_display())
        )
        constraints = [
            _constraint("spatial", "eq", territory, **{"dct:description": licence.territory_words}),
            _constraint("language", "eq", _typed(licence.language, "language")),
            _constraint(
                "media",
                "eq",
                licence.media,
                **{"dct:description": str(licence.get_media_display())},
            ),
            _constraint("dateTime", "gteq", _typed(licence.start_date.isoformat(), "date")),
        ]
        if licence.end_date:
            constraints.append(
                _constraint("dateTime", "lteq", _typed(licence.end_date.isoformat(), "date"))
            )
        if licence.word_limit:
            constraints.append(
                _constraint(
                    "absoluteSize", "lteq", _typed(str(licence.word_limit), "integer"), unit=WORD
                )
            )
        else:
            constraints.append(
                _constraint("relativeSize", "eq", _typed("100", "decimal"), unit=PERCENT)
            )
        actions = ["reproduce", "distribute"]
        if licence.edits_allowed:
            actions.append("modify")
        if licence.language != licence.article_language:
            actions.append("translate")
        status = str(licence.status_words())
        notice_duties = _notice_duties(licence)
    renews = licence.request.renews
    assigner = {
        "@type": "Party",
        "uid": _origin(licence.article_url),
        "vcard:fn": licence.publisher_name,
    }
    policy: dict[str, Any] = {
        "@context": ODRL_CONTEXT,
        "@type": "Agreement",
        "uid": licence.verify_url,
        "dct:identifier": licence.number,
        "dct:title": f"Republication licence {licence.number}",
        "dct:issued": _typed(licence.issued_at.date().isoformat(), "date"),
        "dct:description": status,
        "assigner": assigner,
        "assignee": {
            "@type": "Party",
            "uid": licence.licensee_website,
            "vcard:fn": licence.licensee_name,
        },
        "permission": [
            {
                "target": licence.article_url,
                "assigner": assigner["uid"],
                "assignee": licence.licensee_website,
                "action": actions,
                "constraint": constraints,
                "duty": [
                    {
                        "action": "attribute",
                        "dct:description": licence.attribution,
                        "target": licence.article_url,
                    },
                    *notice_duties,
                ],
            }
        ],
    }
    if renews is not None:
        # A renewal: the licence it continues, so systems can follow the chain back.
        policy["dct:replaces"] = renews.verify_url
    return policy


def licence_policy_json(licence: Licence) -> bytes:
    """The policy as UTF-8 JSON, keys in a fixed order: the same licence, the same bytes."""
    return json.dumps(licence_policy(licence), ensure_ascii=False, indent=2).encode()
