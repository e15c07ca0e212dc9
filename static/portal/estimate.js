// Refresh the fee estimate as the requester picks options. Optional: without
// JavaScript the "Update estimate" button posts the form and the page shows it.
(function () {
  "use strict";
  var form = document.getElementById("request-form");
  var box = document.getElementById("estimate");
  var button = document.getElementById("estimate-button");
  if (!form || !box || !window.fetch) { return; }
  if (button) { button.hidden = true; }
  var fields = ["outlet_type", "media", "extent", "territory", "audience_size", "country", "vat_number"];
  var pending = null;
  function refresh() {
    var params = new URLSearchParams();
    fields.forEach(function (name) {
      var input = form.querySelector('[name="' + name + '"]:checked') ||
        form.querySelector('select[name="' + name + '"], input[name="' + name + '"]:not([type="radio"])');
      if (input && input.value) { params.set(name, input.value); }
    });
    if (pending) { pending.abort(); }
    pending = new AbortController();
    fetch(box.dataset.url + "?" + params.toString(), { signal: pending.signal })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) { if (html !== null) { box.innerHTML = html; } })
      .catch(function () { /* keep the last estimate on network errors */ });
  }
  form.addEventListener("change", function (event) {
    if (fields.indexOf(event.target.name) !== -1) { refresh(); }
  });
  form.addEventListener("input", function (event) {
    if (event.target.name === "audience_size" || event.target.name === "vat_number") { refresh(); }
  });
})();
