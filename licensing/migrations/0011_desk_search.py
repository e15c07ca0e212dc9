"""The desk's and the catalogue's search column, and the desk's ordering index.

`search_text` holds portal.search.fold() of what people search by. On
PostgreSQL, trigram GIN indexes (pg_trgm, a trusted extension the database
owner may create) answer the search's LIKE '%word%' tests; other databases
scan the column.
"""

from typing import Any

from django.conf import settings
from django.db import migrations, models

from portal.search import fold

TRIGRAM_INDEXES = {
    "request_search_trgm_idx": "licensing_republicationrequest",
    "article_search_trgm_idx": "licensing_article",
}


def fill_search_text(apps: Any, schema_editor: Any) -> None:
    Article = apps.get_model("licensing", "Article")
    Request = apps.get_model("licensing", "RepublicationRequest")
    batch: list[Any] = []
    for article in Article.objects.only("id", "title").iterator(chunk_size=2000):
        article.search_text = fold(article.title)
        batch.append(article)
        if len(batch) == 2000:
            Article.objects.bulk_update(batch, ["search_text"])
            batch = []
    Article.objects.bulk_update(batch, ["search_text"])
    batch = []
    fields = ("id", "reference", "contact_name", "email", "outlet_name", "article__title")
    for req in Request.objects.select_related("article").only(*fields).iterator(chunk_size=2000):
        # As RepublicationRequest.searchable_text() builds it.
        who = " ".join([req.reference, req.contact_name, req.email, req.outlet_name])
        req.search_text = fold(f"{who} {req.article.title}")
        batch.append(req)
        if len(batch) == 2000:
            Request.objects.bulk_update(batch, ["search_text"])
            batch = []
    Request.objects.bulk_update(batch, ["search_text"])


def add_trigram_indexes(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, table in TRIGRAM_INDEXES.items():
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin (search_text gin_trgm_ops)"
        )


def drop_trigram_indexes(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in TRIGRAM_INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0002_checkout_session_amount_status_payment_intent"),
        ("licensing", "0010_licence_signing_certificate"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="article",
            name="search_text",
            field=models.TextField(blank=True, editable=False),
        ),
        migrations.AddField(
            model_name="republicationrequest",
            name="search_text",
            field=models.TextField(blank=True, editable=False),
        ),
        migrations.RunPython(fill_search_text, migrations.RunPython.noop, elidable=True),
        migrations.RunPython(add_trigram_indexes, drop_trigram_indexes),
        migrations.AddIndex(
            model_name="republicationrequest",
            index=models.Index(
                models.OrderBy(
                    models.Case(
                        models.When(status__in=("submitted",), then=models.Value(0)),
                        models.When(
                            status__in=("awaiting_payment", "info_requested", "submitted"),
                            then=models.Value(1),
                        ),
                        default=models.Value(2),
                        output_field=models.IntegerField(),
                    )
                ),
                models.OrderBy(
                    models.Case(
                        models.When(
                            status__in=("awaiting_payment", "info_requested", "submitted"),
                            then=models.F("waiting_since"),
                        ),
                        default=None,
                        output_field=models.DateTimeField(),
                    )
                ),
                models.OrderBy(models.F("waiting_since"), descending=True),
                models.OrderBy(models.F("id"), descending=True),
                name="request_desk_order_idx",
            ),
        ),
    ]
