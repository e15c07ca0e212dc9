/*
 * Optional helper for the "Republish this article" link (see docs/integration.md).
 *
 * For every <a data-republish-button>, point the link at the portal's
 * /republish/?url=<this page's canonical URL> (read from
 * <link rel="canonical">) and give it a button look. The plain link works
 * without this script; the script only keeps the URL right when a template
 * cannot print it, and styles the link.
 *
 * The portal's address comes from data-portal="https://portal.example", or
 * else from the link's own href.
 */
(function () {
  "use strict";

  var STYLE_ID = "republish-button-style";
  var CSS =
    ".republish-button{display:inline-block;padding:.15em .6em;border-radius:.3em;" +
    "background:#0b5394;color:#fff !important;font-weight:600;text-decoration:none;}" +
    ".republish-button:hover{background:#073763;text-decoration:underline;}" +
    ".republish-button:focus-visible{outline:3px solid #f1c232;outline-offset:2px;}";

  function addStyle() {
    if (document.getElementById(STYLE_ID)) return;
    var style = document.createElement("style");
    style.id = STYLE_ID;
    style.textContent = CSS;
    document.head.appendChild(style);
  }

  function canonicalUrl() {
    var link = document.querySelector('link[rel="canonical"]');
    return link && link.href ? link.href : null;
  }

  function upgrade(anchor, articleUrl) {
    try {
      var portal = anchor.getAttribute("data-portal") || anchor.href || window.location.href;
      var target = new URL("/republish/", portal);
      target.searchParams.set("url", articleUrl);
      anchor.href = target.toString();
    } catch (error) {
      // Leave the plain link as the template wrote it.
    }
    if (anchor.getAttribute("data-republish-style") !== "none") {
      anchor.classList.add("republish-button");
    }
  }

  function init() {
    var anchors = document.querySelectorAll("a[data-republish-button]");
    if (!anchors.length) return;
    var articleUrl = canonicalUrl();
    if (articleUrl === null) return;
    addStyle();
    for (var i = 0; i < anchors.length; i++) upgrade(anchors[i], articleUrl);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
