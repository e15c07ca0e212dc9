// "Copy" buttons for read-only snippets. Without JavaScript the text area is
// still there to select and copy by hand, and the button stays hidden.
(function () {
  "use strict";
  document.querySelectorAll("[data-copy]").forEach(function (button) {
    var source = document.getElementById(button.dataset.copy);
    var done = button.parentElement.querySelector("[data-copied]");
    if (!source || !navigator.clipboard) { return; }
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(source.value).then(function () {
        if (done) { done.hidden = false; }
      });
    });
  });
})();
