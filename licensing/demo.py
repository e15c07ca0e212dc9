"""Demo catalogue for `manage.py seed_demo`: the seed article and a few others."""

from datetime import UTC, datetime

SEED_ARTICLE_URL = (
    "https://www.middleeasteye.net/news/central-asian-fighters-syria-join-al-nusra-front"
)

DEMO_ARTICLES: list[dict[str, object]] = [
    {
        "title": "Central Asian fighters in Syria join al-Nusra Front",
        "slug": "central-asian-fighters-syria-join-al-nusra-front",
        "standfirst": (
            "Jaish al-Muhajireen wal Ansar joins al-Nusra Front in Syria, in what could "
            "potentially tip the balance in the battle between al-Nusra and IS in Aleppo"
        ),
        "author": "MEE staff",
        "published_at": datetime(2015, 9, 23, 14, 0, tzinfo=UTC),
        "canonical_url": SEED_ARTICLE_URL,
        "section": "News",
        "language": "en",
        "word_count": 272,
        "has_images": True,
    },
    {
        "title": "Water scarcity reshapes farming along the Nile delta",
        "slug": "water-scarcity-reshapes-farming-nile-delta",
        "standfirst": "Farmers turn to drip irrigation and new crops as the river's flow falls.",
        "author": "Demo correspondent",
        "published_at": datetime(2026, 10, 2, 9, 30, tzinfo=UTC),
        "canonical_url": "https://www.middleeasteye.net/demo/water-scarcity-nile-delta",
        "section": "Environment",
        "language": "en",
        "word_count": 1180,
        "has_images": True,
    },
    {
        "title": "Inside Tunisia's new generation of tech start-ups",
        "slug": "tunisia-new-generation-tech-start-ups",
        "standfirst": "Young founders in Tunis build for African and European markets at once.",
        "author": "Demo correspondent",
        "published_at": datetime(2026, 10, 20, 7, 0, tzinfo=UTC),
        "canonical_url": "https://www.middleeasteye.net/demo/tunisia-tech-start-ups",
        "section": "Business",
        "language": "en",
        "word_count": 950,
        "has_images": False,
    },
    {
        "title": "مهرجان القاهرة السينمائي يحتفي بالأفلام المستقلة",
        "slug": "cairo-film-festival-independent-cinema-ar",
        "standfirst": "دورة جديدة تفتح أبوابها لصناع الأفلام الشباب من المنطقة العربية.",
        "author": "مراسل تجريبي",
        "published_at": datetime(2026, 11, 10, 18, 0, tzinfo=UTC),
        "canonical_url": "https://www.middleeasteye.net/ar/demo/cairo-film-festival",
        "section": "ثقافة",
        "language": "ar",
        "word_count": 640,
        "has_images": True,
    },
    {
        "title": "Au Maroc, la reconstruction après le séisme avance lentement",
        "slug": "maroc-reconstruction-apres-seisme",
        "standfirst": "Dans les villages de l'Atlas, les familles attendent encore des logements.",
        "author": "Correspondant de démonstration",
        "published_at": datetime(2026, 11, 18, 11, 15, tzinfo=UTC),
        "canonical_url": "https://www.middleeasteye.net/fr/demo/maroc-reconstruction-seisme",
        "section": "Reportage",
        "language": "fr",
        "word_count": 1320,
        "has_images": True,
    },
    {
        "title": "Archive interview: not available for republishing",
        "slug": "archive-interview-not-republishable",
        "standfirst": "An interview whose rights the publisher does not hold for syndication.",
        "author": "Demo correspondent",
        "published_at": datetime(2026, 6, 1, 8, 0, tzinfo=UTC),
        "canonical_url": "https://www.middleeasteye.net/demo/archive-interview",
        "section": "Interviews",
        "language": "en",
        "word_count": 2100,
        "has_images": False,
        "republishable": False,
    },
]

# A sensible demo rate card (GBP, net of VAT). Empty conditions match anything;
# the most specific matching rule wins (see licensing.models.RULE_HELP).
DEMO_PRICE_RULES: list[dict[str, object]] = [
    {"name": "Base fee: any use", "fee_minor": 25000},
    {"name": "Excerpt: any outlet", "extent": "excerpt", "fee_minor": 10000},
    {"name": "NGO or charity", "outlet_type": "ngo", "fee_minor": 7500},
    {"name": "NGO excerpt", "outlet_type": "ngo", "extent": "excerpt", "fee_minor": 4000},
    {"name": "University or school", "outlet_type": "university", "fee_minor": 6000},
    {"name": "Broadcaster", "outlet_type": "broadcaster", "fee_minor": 45000},
    {
        "name": "Small website (up to 100,000 a month)",
        "outlet_type": "website",
        "max_audience": 100_000,
        "fee_minor": 15000,
    },
    {
        "name": "Large newspaper in print (over 1 million)",
        "outlet_type": "newspaper",
        "media": "print",
        "min_audience": 1_000_001,
        "fee_minor": 60000,
    },
    {
        "name": "Worldwide online, large audience (over 1 million)",
        "media": "online",
        "territory": "worldwide",
        "min_audience": 1_000_001,
        "fee_minor": 50000,
    },
]

DEMO_AUTO_APPROVAL_RULES: list[dict[str, object]] = [
    {
        "name": "Small NGO excerpt (audience up to 10,000)",
        "outlet_type": "ngo",
        "extent": "excerpt",
        "max_audience": 10_000,
        "fee_minor": 2500,
    },
    {
        "name": "Teaching excerpt for a class (audience up to 500)",
        "outlet_type": "university",
        "extent": "excerpt",
        "max_audience": 500,
        "fee_minor": 0,
    },
]

# Currency units per £1 for the demo's invoices in euros and dollars to UK
# buyers (seed_demo stores them for this month and the next two unless a rate
# is there already): illustrative, not HMRC's published figures.
DEMO_EXCHANGE_RATES: dict[str, str] = {"EUR": "1.1862", "USD": "1.3396"}
DEMO_EXCHANGE_RATE_SOURCE = "Demo exchange rate (not HMRC's)"
DEMO_EXCHANGE_RATE_MONTHS = 3
