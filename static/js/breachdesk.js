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

  // The idle warning (base.html). Two minutes before this login would end for want of
  // activity, ask the server how long is left (another tab may have been used: asking is
  // a background request and does not count as activity); show the warning when two
  // minutes or less are left. "Stay logged in" keeps the login. At the end, a page with
  // a questionnaire form stays (what was typed is saved after the next login, when it is
  // sent); any other page goes to the login page, which says why.
  function idleWarning() {
    var box = document.getElementById("idle-warning");
    if (!box) {
      return;
    }
    var form = box.querySelector("form");
    var text = document.getElementById("idle-warning-text");
    var timer = null;
    function ended() {
      if (document.getElementById("step-form")) {
        text.textContent = text.getAttribute("data-ended");
        form.hidden = true;
        box.hidden = false;
        return;
      }
      var here = window.location.pathname + window.location.search;
      window.location.href = box.getAttribute("data-login-url") + "?why=idle&next=" + encodeURIComponent(here);
    }
    function schedule(left) {
      window.clearTimeout(timer);
      if (left <= 0) {
        ended();
      } else if (left <= 120) {
        box.hidden = false;
        timer = window.setTimeout(ask, (left + 1) * 1000);
      } else {
        box.hidden = true;
        timer = window.setTimeout(ask, (left - 120) * 1000);
      }
    }
    function ask() {
      fetch(box.getAttribute("data-idle-url"), {
        headers: { "X-Background": "1", Accept: "application/json" },
        credentials: "same-origin",
      })
        .then(function (response) {
          return response.json();
        })
        .then(function (data) {
          schedule(data.seconds_left);
        })
        .catch(function () {
          schedule(0);
        });
    }
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      fetch(form.action, {
        method: "POST",
        headers: { "x-csrftoken": csrfToken(), Accept: "application/json" },
        body: new FormData(form),
        credentials: "same-origin",
      }).then(ask, ask);
    });
    // The page was just served: the login counts as active from now (within a minute).
    schedule(parseInt(box.getAttribute("data-idle-seconds"), 10) - 60);
  }

  document.addEventListener("DOMContentLoaded", function () {
    focusErrorSummary(document);
    idleWarning();
  });
  document.addEventListener("htmx:afterSwap", function (event) {
    focusErrorSummary(event.target);
  });
})();

// Conditional questions: show a question only when the answer it depends on applies.
// Without JavaScript every question is shown, and the server refuses an answer to one that
// does not apply (with a message at the field).
(function () {
  "use strict";

  function selectedValues(form, key) {
    var values = [];
    form.querySelectorAll('[name="' + key + '"]').forEach(function (input) {
      if ((input.type === "radio" || input.type === "checkbox") ? input.checked : input.value) {
        values.push(input.value);
      }
    });
    return values;
  }

  function refresh(form) {
    form.querySelectorAll("[data-show-if-key]").forEach(function (block) {
      var wanted = block.getAttribute("data-show-if-values").split(" ");
      var current = selectedValues(form, block.getAttribute("data-show-if-key"));
      var show = current.some(function (value) { return wanted.indexOf(value) !== -1; });
      block.hidden = !show;
      // A hidden question's fields are not sent: the server refuses an answer to a question
      // that does not apply, and what was typed comes back when it is shown again.
      block.querySelectorAll("input, select, textarea").forEach(function (field) {
        field.disabled = !show;
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form.question-form").forEach(function (form) {
      form.classList.add("js-conditional");
      form.querySelectorAll(".condition").forEach(function (note) { note.hidden = true; });
      refresh(form);
      form.addEventListener("change", function () { refresh(form); });
    });
  });
})();

// A text field with a limit says how much of it is used, as one types.
(function () {
  "use strict";

  function attach(field) {
    var note = document.createElement("p");
    note.className = "hint counter";
    note.setAttribute("aria-live", "polite");
    field.insertAdjacentElement("afterend", note);
    function update() {
      note.textContent = field.getAttribute("data-counter").replace("{count}", field.value.length);
    }
    field.addEventListener("input", update);
    update();
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("textarea[data-counter]").forEach(attach);
  });
})();

// A long list of checkboxes (the controllers) narrowed as one types a name; ticked ones stay.
(function () {
  "use strict";

  function attach(box) {
    var list = document.getElementById(box.getAttribute("data-search-list"));
    var field = box.querySelector("input[type=search]");
    var count = box.querySelector("[data-count-text]");
    if (!list || !field) {
      return;
    }
    var items = Array.prototype.slice.call(list.querySelectorAll("[data-name]"));
    function update() {
      var query = field.value.trim().toLowerCase();
      var shown = 0;
      items.forEach(function (item) {
        var ticked = item.querySelector("input").checked;
        var show = !query || ticked || item.getAttribute("data-name").indexOf(query) !== -1;
        item.hidden = !show;
        if (show) {
          shown += 1;
        }
      });
      if (count) {
        count.textContent = query ? count.getAttribute("data-count-text")
          .replace("{shown}", shown).replace("{total}", items.length) : "";
      }
    }
    box.hidden = false;
    field.addEventListener("input", update);
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-search-list]").forEach(attach);
  });
})();
