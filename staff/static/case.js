// While an officer types a question for the citizen, show the SMS it will send and how many
// parts the provider will bill, as the server counts them (the page works without this).
(function () {
  "use strict";
  var form = document.getElementById("act");
  var preview = document.getElementById("sms-preview");
  if (!form || !preview) return;
  var action = document.getElementById("action");
  var note = document.getElementById("note");
  var parts = document.getElementById("sms-parts");
  var text = document.getElementById("sms-text");
  var timer = null;
  var asked = 0; // only the newest answer is shown, whatever order they arrive in

  function asking() {
    return action.value === "ask" && note.value.trim() !== "";
  }

  function refresh() {
    if (!asking()) {
      preview.hidden = true;
      return;
    }
    var mine = ++asked;
    var body = new FormData();
    body.append("csrf_token", form.elements["csrf_token"].value);
    body.append("note", note.value);
    fetch(preview.dataset.url, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    })
      .then(function (response) {
        return response.json();
      })
      .then(function (answer) {
        if (mine !== asked) return;
        parts.textContent = answer.error || answer.summary;
        parts.className = answer.fits ? "" : "error";
        text.textContent = answer.text || "";
        preview.hidden = false;
      })
      .catch(function () {
        /* no preview this time; the action still checks the question */
      });
  }

  function soon() {
    clearTimeout(timer);
    timer = setTimeout(refresh, 250);
  }

  note.addEventListener("input", soon);
  action.addEventListener("change", refresh);
  refresh();
})();
