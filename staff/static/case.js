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
  var asked = 0; // only the newest request's answer is shown, whatever order they arrive in

  function asking() {
    return action.value === "ask" && note.value.trim() !== "";
  }

  function show(summary, fits, sms) {
    parts.textContent = summary;
    parts.className = fits ? "" : "error";
    text.textContent = sms;
    preview.hidden = false;
  }

  function refresh() {
    // Counted even when nothing is asked, so an answer still on its way for text the
    // officer has since cleared is stale and stays unshown.
    var mine = ++asked;
    if (!asking()) {
      preview.hidden = true;
      return;
    }
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
        // An expired session or form token is answered with a page (the sign-in page, the
        // expired-form page), not a count.
        var type = response.headers.get("Content-Type") || "";
        if (response.redirected || type.indexOf("application/json") !== 0) {
          throw new Error("not a preview");
        }
        return response.json();
      })
      .then(function (answer) {
        if (mine !== asked) return;
        var summary = answer.error || answer.summary;
        if (typeof summary !== "string") throw new Error("not a preview");
        show(summary, answer.fits === true, answer.text || "");
      })
      .catch(function () {
        // The count on screen would be for older text: say there is none, and how to get
        // it back. The action itself still checks the question.
        if (mine !== asked) return;
        show(preview.dataset.unavailable, false, "");
      });
  }

  function soon() {
    clearTimeout(timer);
    if (!asking()) {
      refresh(); // hiding needs no pause
      return;
    }
    timer = setTimeout(refresh, 250);
  }

  note.addEventListener("input", soon);
  action.addEventListener("change", refresh);
  refresh();
})();
