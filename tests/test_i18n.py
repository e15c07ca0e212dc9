"""English, Arabic and French: catalogues, lang/dir, the switcher, remembered language."""

import re
import shutil
import subprocess
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.template.loader import render_to_string
from django.test import Client
from django.utils import translation
from django.utils.translation import get_language_info

from licensing.forms import RepublicationRequestForm
from licensing.models import Article, RepublicationRequest
from portal.formats import format_moment
from tests.factories import make_article, make_request, request_form_data

LOCALE = Path(settings.BASE_DIR) / "locale"
HEADINGS = {
    "en": "Articles available for republishing",
    "ar": "المقالات المتاحة لإعادة النشر",
    "fr": "Articles disponibles pour la republication",
}
COUNT_PLACEHOLDERS = {"%(counter)s", "%(count)s", "%(words)s", "%(days)s", "%(minutes)s", "%(cap)s"}
SWITCHER = re.compile(r'<form[^>]*id="language-switcher".*?</form>', re.S)


def client_in(language: str) -> Client:
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


def h1(html: str) -> str:
    match = re.search(r"<h1[^>]*>(.*?)</h1>", html, re.S)
    assert match, "no h1"
    return " ".join(re.sub(r"<[^>]+>", "", match.group(1)).split())


# --- The catalogues ---------------------------------------------------------


@pytest.mark.parametrize("language", ["ar", "fr"])
def test_catalogue_is_complete_with_nothing_fuzzy(language: str) -> None:
    po = polib.pofile(str(LOCALE / language / "LC_MESSAGES" / "django.po"))
    assert len(po) > 300
    assert not po.metadata_is_fuzzy
    fuzzy = [entry.msgid for entry in po if entry.fuzzy]
    empty = [
        entry.msgid
        for entry in po
        if (entry.msgid_plural and not all(entry.msgstr_plural.values()))
        or (not entry.msgid_plural and not entry.msgstr)
    ]
    assert fuzzy == []
    assert empty == []
    assert po.obsolete_entries() == []


@pytest.mark.parametrize("language", ["ar", "fr"])
def test_placeholders_survive_translation(language: str) -> None:
    po = polib.pofile(str(LOCALE / language / "LC_MESSAGES" / "django.po"))
    for entry in po:
        wanted = set(re.findall(r"%\(\w+\)s", entry.msgid))
        translations = list(entry.msgstr_plural.values()) if entry.msgid_plural else [entry.msgstr]
        # A plural form may leave the count out ("one word", Arabic "كلمة واحدة"),
        # nothing else: the count is {{ counter }}, or the same number grouped.
        count = COUNT_PLACEHOLDERS if entry.msgid_plural else set()
        for text in translations:
            assert set(re.findall(r"%\(\w+\)s", text)) <= wanted, entry.msgid
            assert set(re.findall(r"%\(\w+\)s", text)) >= wanted - count, entry.msgid


@pytest.mark.parametrize("language", ["ar", "fr"])
def test_every_entry_with_placeholders_is_python_format(language: str) -> None:
    """msgfmt --check-format then checks each translation keeps its placeholders."""
    po = polib.pofile(str(LOCALE / language / "LC_MESSAGES" / "django.po"))
    unflagged = [
        entry.msgid
        for entry in po
        if re.search(r"%\(\w+\)s", entry.msgid) and "python-format" not in entry.flags
    ]
    assert unflagged == []


@pytest.mark.parametrize("language", ["ar", "fr"])
def test_compiled_catalogue_matches_the_po_file(language: str) -> None:
    """The committed .mo is the .po compiled: nobody needs gettext to run the portal."""
    folder = LOCALE / language / "LC_MESSAGES"
    po = polib.pofile(str(folder / "django.po"))
    mo = polib.mofile(str(folder / "django.mo"))
    # Keyed by context too: one English word may be two translations ("Cancelled").
    compiled = {(e.msgctxt, e.msgid, e.msgid_plural): (e.msgstr, e.msgstr_plural) for e in mo}
    for entry in po.translated_entries():
        key = (entry.msgctxt, entry.msgid, entry.msgid_plural)
        assert key in compiled, f"{entry.msgid!r} missing from {language}/django.mo: recompile"
        msgstr, plural = compiled[key]
        if entry.msgid_plural:
            assert {int(k): v for k, v in plural.items()} == {
                int(k): v for k, v in entry.msgstr_plural.items()
            }, entry.msgid
        else:
            assert msgstr == entry.msgstr, entry.msgid


# --- Pages ------------------------------------------------------------------


@pytest.mark.parametrize(("language", "direction"), [("en", "ltr"), ("ar", "rtl"), ("fr", "ltr")])
def test_page_renders_in_each_language(db, language: str, direction: str) -> None:
    html = client_in(language).get("/articles/").content.decode()
    assert f'<html lang="{language}" dir="{direction}">' in html
    assert h1(html) == HEADINGS[language]
    rtl_css = "css/bootstrap.rtl.min.css" in html
    assert rtl_css is (direction == "rtl")


def test_english_is_the_default(db) -> None:
    html = Client().get("/articles/").content.decode()
    assert '<html lang="en" dir="ltr">' in html
    assert h1(html) == HEADINGS["en"]


def test_browser_language_is_honoured(db) -> None:
    html = Client(HTTP_ACCEPT_LANGUAGE="fr-FR,fr;q=0.9").get("/articles/").content.decode()
    assert '<html lang="fr" dir="ltr">' in html


@pytest.mark.parametrize(
    "url", ["/", "/articles/", "/verify/", "/account/login/", "/no-such-page/"]
)
def test_every_public_page_has_the_language_switcher(db, url: str) -> None:
    html = Client().get(url).content.decode()
    switcher = SWITCHER.search(html)
    assert switcher, url
    form = switcher.group(0)
    assert 'action="/i18n/setlang/"' in form
    assert 'method="post"' in form
    for code, _name in settings.LANGUAGES:
        assert f'name="language" value="{code}" lang="{code}"' in form
        # Each language named in itself, whatever the page's language.
        assert str(get_language_info(code)["name_local"]).capitalize() in form


def test_switcher_sets_the_language_and_returns_to_the_page(client: Client, article) -> None:
    page = article.get_republish_url()
    response = client.post("/i18n/setlang/", {"language": "ar", "next": page})
    assert response.status_code == 302
    assert response["Location"] == page
    html = client.get(page).content.decode()
    assert '<html lang="ar" dir="rtl">' in html
    assert h1(html) == "طلب إعادة نشر"


def test_request_form_in_french(article) -> None:
    html = client_in("fr").get(article.get_republish_url()).content.decode()
    assert h1(html) == "Demande de republication"
    assert "Votre nom" in html
    assert "Envoyer la demande" in html


def test_form_errors_are_translated(article) -> None:
    response = client_in("ar").post(
        article.get_republish_url(), request_form_data(accept_terms=None, audience_size="0")
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert "يجب أن توافق على الشروط لإرسال الطلب." in html
    assert "أدخل جمهورًا لا يقل عن 1." in html


def _english_labels() -> set[str]:
    """The English source of every label, legend, choice and button of the request form."""
    with translation.override("en"):
        form = RepublicationRequestForm(article=Article(word_count=100))
        texts = {str(field.label) for field in form.fields.values()}
        for name in ("outlet_type", "media", "language", "territory", "duration", "extent"):
            texts |= {str(label) for value, label in form.fields[name].choices if value}
        texts |= {"Who is asking", "How you want to republish", "Send request", "Terms"}
        texts |= {"- Select an option -", "- Select a country -"}
    return texts


def _visible_text(html: str) -> str:
    html = SWITCHER.sub("", html)
    html = re.sub(r"<(script|style)[^>]*>.*?</\1>", "", html, flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_no_english_form_labels_left_on_arabic_pages(article) -> None:
    make_article(title="مهرجان القاهرة السينمائي", language="ar", slug="cairo")
    req = make_request(article, language="ar", media="print", territory="mena")
    client = client_in("ar")
    client.force_login(req.requester)
    pages = {
        "form": client.get(article.get_republish_url()),
        "list": client.get("/articles/"),
        "request": client.get(req.get_absolute_url()),
    }
    labels = _english_labels()
    assert len(labels) > 40

    def english_in(html: str) -> list[str]:
        text = _visible_text(html)
        return sorted(
            label for label in labels if re.search(rf"(?<!\w){re.escape(label)}(?!\w)", text)
        )

    # The scan finds them where they belong: on the English form.
    assert len(english_in(Client().get(article.get_republish_url()).content.decode())) > 40
    for name, response in pages.items():
        assert response.status_code == 200, name
        left = english_in(response.content.decode())
        assert left == [], f"English left on the Arabic {name} page: {left}"


def test_status_and_messages_are_translated(article) -> None:
    req = make_request(article)
    client = client_in("fr")
    client.force_login(req.requester)
    response = client.post(f"/requests/{req.uuid}/withdraw/", follow=True)
    html = response.content.decode()
    assert "Votre demande a été retirée." in html
    assert "Retirée" in html


# --- Articles in their own language ------------------------------------------


def test_catalogue_filters_by_article_language(db) -> None:
    make_article(title="Cairo film festival opens", slug="cairo-en")
    make_article(title="مهرجان القاهرة السينمائي", language="ar", slug="cairo-ar")
    make_article(title="Le festival du film du Caire", language="fr", slug="cairo-fr")
    html = Client().get("/articles/", {"language": "ar"}).content.decode()
    assert "مهرجان القاهرة السينمائي" in html
    assert "Cairo film festival opens" not in html
    assert "Le festival du film du Caire" not in html
    assert '<option value="ar" selected>' in html


def test_language_filter_is_kept_across_pages(db) -> None:
    for n in range(25):
        make_article(title=f"مقال رقم {n}", language="ar", slug=f"ar-{n}")
    html = Client().get("/articles/", {"language": "ar"}).content.decode()
    assert 'href="?language=ar&amp;page=2"' in html


def test_unknown_language_filter_is_ignored(db) -> None:
    make_article(title="Cairo film festival opens", slug="cairo-en")
    response = Client().get("/articles/", {"language": "xx"})
    assert response.status_code == 200
    assert "Cairo film festival opens" in response.content.decode()


def test_arabic_article_is_right_to_left_in_the_english_interface(db) -> None:
    article = make_article(title="مهرجان القاهرة السينمائي", language="ar", slug="cairo")
    html = Client().get(article.get_absolute_url()).content.decode()
    assert '<html lang="en" dir="ltr">' in html
    assert re.search(r'<article[^>]*dir="rtl" lang="ar"', html)
    form = Client().get(article.get_republish_url()).content.decode()
    assert re.search(r'<div class="card-body" dir="rtl" lang="ar">', form)


# --- The requester's language is remembered ------------------------------------


@pytest.mark.parametrize("language", ["en", "ar", "fr"])
def test_request_remembers_the_interface_language(article, language: str) -> None:
    response = client_in(language).post(article.get_republish_url(), request_form_data())
    assert response.status_code == 302
    assert RepublicationRequest.objects.get().ui_language == language


def test_request_page_dates_and_status_in_french(article) -> None:
    req = make_request(article)
    client = client_in("fr")
    client.force_login(req.requester)
    html = client.get(req.get_absolute_url()).content.decode()
    sent = format_moment(req.created_at, language="fr")
    # French abbreviated month names, "à" before the time: "7 déc. 2026 à 13:58".
    assert re.fullmatch(r"\d{1,2} [a-zéû]+\.? \d{4} à \d\d:\d\d", sent), sent
    assert f"Envoyée le {sent}" in html
    assert h1(html) == f"Demande {req.reference}"


def test_server_error_page_in_arabic() -> None:
    with translation.override("ar"):
        html = render_to_string("500.html")
    assert '<html lang="ar" dir="rtl">' in html
    assert "حدث خطأ من جهتنا" in html


# --- The glossary (docs/glossary.md) ------------------------------------------

# An English word in the source, and the one term each translation uses for it.
GLOSSARY = [
    (r"\bdesk\b", {"fr": r"équipe", "ar": r"فريق"}),
    (r"\b[Mm]edium\b", {"fr": r"support", "ar": r"وسيلة النشر"}),
    (r"\b[Ee]xtent\b", {"fr": r"[ÉéEe]tendue", "ar": r"حجم النص المنشور"}),
    (r"\b[Tt]erritory\b", {"fr": r"territoire", "ar": r"النطاق الجغرافي"}),
    (r"\bdue by\b", {"fr": r"à régler au plus tard le", "ar": r"في موعد أقصاه"}),
    (r"^Review queue$", {"fr": r"^Demandes à examiner$", "ar": r"^طلبات بانتظار المراجعة$"}),
    (r"\btake (the article|it) down\b|takedown", {"fr": r"suppr", "ar": r"حذف|احذف"}),
    (r"\b[Ww]ithdr[ae]w", {"fr": r"retir", "ar": r"سُ?حب|مسحوب"}),
    (r"\bjournalism\b", {"fr": r"articles", "ar": r"أعمال.* الصحفية"}),
    (r"^Valid$|valid licence|Not yet valid", {"fr": r"valide", "ar": r"سارٍ"}),
]
# Words the glossary rejects, whatever the source.
REJECTED = {
    "fr": [r"[Tt]arif", r"relecture", r"avant le", r"service de republication", r"ça marche",
           r"journalisme", r"en route"],
    "ar": [r"الوسيط", r"مكتب (?!مفوض)", r"قائمة المراجعة", r"عزيز", r"صحافت", r"سارية",
           r"ساري(?!ًا)\b", r"التحويل العكسي", r"سجّلت الخروج"],
}  # fmt: skip


def _translations(entry: polib.POEntry) -> list[str]:
    return list(entry.msgstr_plural.values()) if entry.msgid_plural else [entry.msgstr]


@pytest.mark.parametrize("language", ["ar", "fr"])
def test_catalogue_follows_the_glossary(language: str) -> None:
    po = polib.pofile(str(LOCALE / language / "LC_MESSAGES" / "django.po"))
    astray = []
    for entry in po:
        for source, terms in GLOSSARY:
            if re.search(source, entry.msgid):
                astray += [
                    (entry.msgid, text)
                    for text in _translations(entry)
                    if not re.search(terms[language], text, re.IGNORECASE)
                ]
        for word in REJECTED[language]:
            astray += [(word, text) for text in _translations(entry) if re.search(word, text)]
    assert astray == []


def test_french_typography() -> None:
    """A no-break space before : ; ? ! % and inside guillemets; no straight apostrophe."""
    po = polib.pofile(str(LOCALE / "fr" / "LC_MESSAGES" / "django.po"))
    wrong = [
        text
        for entry in po
        for text in _translations(entry)
        if re.search(r"(?<!\u00a0)[:;?!](\s|$)| %%|« | »|'", text)
    ]
    assert wrong == []


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="needs GNU gettext's xgettext")
def test_xgettext_reads_every_python_file_to_the_end() -> None:
    """A line xgettext cannot parse ("unterminated string") makes it skip the rest of the file."""
    base = Path(settings.BASE_DIR)
    sources = sorted(
        str(path.relative_to(base))
        for app in ("portal", "licensing", "billing", "integrations")
        for path in (base / app).rglob("*.py")
        if "migrations" not in path.parts
    )
    assert len(sources) > 50
    # A fixed command on our own files (S603, S607): gettext's xgettext from the PATH.
    command = ["xgettext", "--language=Python", "--from-code=UTF-8", "--keyword=_", "-o", "-"]
    result = subprocess.run(  # noqa: S603
        [*command, *sources],
        cwd=base,
        capture_output=True,
        text=True,
        check=True,
    )
    assert "warning" not in result.stderr, result.stderr
    # The strings below the line that used to stop it are in the catalogue.
    assert 'msgid "Licence %(number)s allows %(licensee)s' in result.stdout.replace('"\n"', "")
