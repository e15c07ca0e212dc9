"""Public pages: the article catalogue, the request form and the requester's request page."""

from uuid import UUID

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_safe

from licensing.forms import ArticleSearchForm, RepublicationRequestForm
from licensing.models import Article, RepublicationRequest

ARTICLES_PER_PAGE = 20
# The session remembers which requests this browser submitted, so the
# requester can come back to them before magic-link accounts exist.
SESSION_REQUESTS_KEY = "submitted_requests"


@require_safe
def article_list(request: HttpRequest) -> HttpResponse:
    form = ArticleSearchForm(request.GET)
    articles = Article.objects.all()
    query = ""
    if form.is_valid():
        query = form.cleaned_data["q"].strip()
        if query:
            articles = articles.filter(title__icontains=query)
    page = Paginator(articles, ARTICLES_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request, "licensing/article_list.html", {"form": form, "page": page, "query": query}
    )


@require_safe
def article_detail(request: HttpRequest, slug: str) -> HttpResponse:
    article = get_object_or_404(Article, slug=slug)
    return render(request, "licensing/article_detail.html", {"article": article})


def _url_variants(url: str) -> list[str]:
    """The same address with and without scheme variant, trailing slash and query."""
    base = url.strip().split("#", 1)[0].split("?", 1)[0].rstrip("/")
    if not base.startswith(("http://", "https://")):
        return []
    path = base.split("://", 1)[1]
    return [f"{scheme}://{path}{slash}" for scheme in ("https", "http") for slash in ("", "/")]


@require_safe
def republish_redirect(request: HttpRequest) -> HttpResponse:
    url = request.GET.get("url", "")
    article = Article.objects.filter(canonical_url__in=_url_variants(url)).first()
    if article is None:
        return render(
            request,
            "licensing/article_not_found.html",
            {"url": url, "form": ArticleSearchForm()},
            status=404,
        )
    return redirect(article.get_republish_url())


@require_http_methods(["GET", "HEAD", "POST"])
def request_form(request: HttpRequest, slug: str) -> HttpResponse:
    article = get_object_or_404(Article, slug=slug)
    if not article.republishable:
        return render(request, "licensing/not_republishable.html", {"article": article}, status=200)
    form = RepublicationRequestForm(request.POST or None, article=article)
    if request.method == "POST" and form.is_valid():
        created = RepublicationRequest.submit(article=article, details=form.request_details())
        mine = request.session.get(SESSION_REQUESTS_KEY, [])
        request.session[SESSION_REQUESTS_KEY] = [*mine, str(created.uuid)]
        return redirect(created)
    status = 400 if request.method == "POST" else 200
    return render(
        request, "licensing/request_form.html", {"article": article, "form": form}, status=status
    )


@require_safe
def request_detail(request: HttpRequest, uuid: UUID) -> HttpResponse:
    req = get_object_or_404(
        RepublicationRequest.objects.select_related("article", "outlet"), uuid=uuid
    )
    is_owner = str(req.uuid) in request.session.get(SESSION_REQUESTS_KEY, [])
    if not (is_owner or request.user.is_staff):
        # 404, not 403: a stranger must not learn that the request exists.
        raise Http404("No such request")
    history = req.status_changes.all()
    return render(request, "licensing/request_detail.html", {"req": req, "history": history})
