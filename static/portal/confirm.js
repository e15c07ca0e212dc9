// "Are you sure?" for irreversible actions (approve, decline, revoke, withdraw...):
// a form marked data-confirm opens the page's <dialog> stating what will happen.
// Without JavaScript (or <dialog>) the form's step=review field makes the server
// show the same statement on a confirmation page instead.
(function () {
  "use strict";
  var dialog = document.getElementById("confirm-dialog");
  if (!dialog || typeof dialog.showModal !== "function") { return; }
  var text = dialog.querySelector("[data-confirm-text]");
  var yes = dialog.querySelector("[data-confirm-yes]");
  var pending = null;

  // DESIGN: a zero fee needs no extra confirmation (no invoice, nothing to pay).
  function isFreeApproval(form) {
    var fee = form.querySelector('[name="fee"]');
    return Boolean(fee && fee.value.trim() !== "" && Number(fee.value) === 0);
  }

  function statement(form) {
    var fee = form.querySelector('[name="fee"]');
    var money = fee && fee.value ? fee.value : "";
    var currency = form.querySelector('[name="currency"]');
    return form.dataset.confirm
      .replace("{fee}", money + (currency && currency.value ? " " + currency.value : ""));
  }

  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (form.dataset.confirmed === "yes") { return; }
      // "Price the scope granted" only shows the form again: nothing to confirm.
      if (event.submitter && event.submitter.hasAttribute("data-no-confirm")) { return; }
      if (isFreeApproval(form)) {
        var step = form.querySelector('input[name="step"]');
        if (step) { step.remove(); }
        return;
      }
      event.preventDefault();
      pending = form;
      text.textContent = statement(form);
      yes.textContent = form.dataset.confirmYes || yes.dataset.defaultLabel;
      dialog.returnValue = "";
      dialog.showModal();
    });
  });

  dialog.addEventListener("close", function () {
    var form = pending;
    pending = null;
    if (!form || dialog.returnValue !== "yes") { return; }
    // Confirmed here: the server acts at once, without its own confirmation page.
    var step = form.querySelector('input[name="step"]');
    if (step) { step.remove(); }
    form.dataset.confirmed = "yes";
    if (typeof form.requestSubmit === "function") { form.requestSubmit(); } else { form.submit(); }
  });
}());
