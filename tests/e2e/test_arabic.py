"""An Arabic-speaking publisher's journey in a real browser: switch to Arabic, fill in, send."""

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from licensing.models import Article, RepublicationRequest
from tests.e2e.helpers import (
    DESKTOP,
    REQUEST_URL,
    check_accessibility,
    emailed_request_link,
    start_date,
)

pytestmark = pytest.mark.e2e


def test_arabic_requester_does_the_journey_in_arabic(
    site: LiveServer,
    page: Page,
    article: Article,
    screenshot_dir,
    console_errors: list[str],
) -> None:
    page.set_viewport_size(DESKTOP)
    page.goto(article.get_republish_url())
    assert page.evaluate("document.dir") == "ltr"

    # The switcher is a plain form: no script involved.
    page.locator("#language-switcher button[value=ar]").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("طلب إعادة نشر")
    assert page.evaluate("document.dir") == "rtl"
    assert page.evaluate("document.documentElement.lang") == "ar"
    with page.expect_response("**/static/css/bootstrap.rtl.min.css") as css:
        page.reload()
    assert css.value.status == 200
    # Bootstrap's RTL sheet is applied: the form's labels sit on the right.
    label = page.get_by_label("اسمك")
    box = label.bounding_box()
    assert box is not None and box["x"] + box["width"] > DESKTOP["width"] / 2
    check_accessibility(page)
    page.screenshot(path=screenshot_dir / "arabic-form.png", full_page=True)

    page.get_by_label("اسمك").fill("أميرة حداد")
    page.get_by_label("البريد الإلكتروني").fill("amira@outlet.example")
    page.get_by_label("اسم المؤسسة الإعلامية").fill("صحيفة الشروق")
    page.get_by_label("الموقع الإلكتروني للمؤسسة الإعلامية").fill("https://shorouk.example")
    page.get_by_label("نوع المؤسسة الإعلامية").select_option("newspaper")
    page.get_by_label("بلد المؤسسة الإعلامية").select_option("EG")
    page.get_by_label("حجم الجمهور").fill("250000")
    page.get_by_label("العنوان البريدي للفاتورة").fill("12 شارع التحرير، القاهرة")
    page.get_by_label("وسيلة النشر").select_option("online")
    page.get_by_label("لغة النشر").select_option("ar")
    page.get_by_label("النطاق الجغرافي").select_option("mena")
    page.get_by_label("المدة").select_option("1y")
    page.get_by_label("تاريخ النشر الأول").fill(start_date().isoformat())
    page.get_by_label("النص الكامل", exact=True).check()
    page.get_by_label("أوافق على شروط إعادة النشر").check()
    page.get_by_role("button", name="أرسل الطلب").click()

    expect(page).to_have_url(REQUEST_URL)
    reference = f"RR-{timezone.localdate().year}-00001"
    expect(page.get_by_role("heading", level=1)).to_have_text(f"الطلب {reference}")
    expect(page.locator("#request-status")).to_have_text("غير مؤكَّد")
    check_accessibility(page)
    page.goto(emailed_request_link())
    expect(page).to_have_url(REQUEST_URL)
    expect(page.locator("#request-status")).to_have_text("مُرسَل")
    assert page.evaluate("document.dir") == "rtl"
    check_accessibility(page)
    page.screenshot(path=screenshot_dir / "arabic-request.png", full_page=True)

    req = RepublicationRequest.objects.get()
    assert req.ui_language == "ar"
    assert req.outlet_name == "صحيفة الشروق"
    to_requester = next(m for m in mail.outbox if m.to == ["amira@outlet.example"])
    assert to_requester.subject == f"أكّد بريدك الإلكتروني لإرسال طلب إعادة النشر {reference}"
