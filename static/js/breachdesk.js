// Breachdesk progressive enhancement. Every page works without this file.
(function () {
  "use strict";

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  // htmx requests that are not plain form posts (hx-delete, hx-post on a button) carry
  // the CSRF token in the x-csrftoken header.
  document.addEventListener("htmx:configRequest", function (event) {
    event.detail.headers["x-csrftoken"] = csrfToken();
  });

  // Move focus to the error summary so screen-reader and keyboard users hear it first.
  function focusErrorSummary(root) {
    var summary = (root || document).querySelector("[data-autofocus]");
    if (summary) {
      summary.focus();
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    focusErrorSummary(document);
  });
  document.addEventListener("htmx:afterSwap", function (event) {
    focusErrorSummary(event.target);
  });
})();
