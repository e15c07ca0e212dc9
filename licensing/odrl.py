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


def licence_policy(licence: Licence) -> dict[str, Any]:
    """The licence as an ODRL Agreement: who may do what with which article, where and when."""
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
    assigner = {
        "@type": "Party",
        "uid": _origin(licence.article_url),
        "vcard:fn": licence.publisher_name,
    }
    return {
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
                    }
                ],
            }
        ],
    }


def licence_policy_json(licence: Licence) -> bytes:
    """The policy as UTF-8 JSON, keys in a fixed order: the same licence, the same bytes."""
    return json.dumps(licence_policy(licence), ensure_ascii=False, indent=2).encode()
