// While an officer types text for the citizen (a question, a resolution's note), show the
// SMS it will send and how many parts it costs: at once, counted here (sms_parts.js), and
// after a pause as the server counts it, which is the authority (the page works without this).
(function () {
  "use strict";
  var form = document.getElementById("act");
  var preview = document.getElementById("sms-preview");
  if (!form || !preview || !window.SahayataSms) return;
  var action = document.getElementById("action");
  var note = document.getElementById("note");
  var count = document.getElementById("sms-count");
  var parts = document.getElementById("sms-parts");
  var text = document.getElementById("sms-text");
  var data = preview.dataset;
  var maxParts = parseInt(data.maxParts, 10);
  var noteMax = parseInt(data.noteMax, 10);
  var BENGALI = "০১২৩৪৫৬৭৮৯";
  var timer = null;
  var asked = 0; // only the newest request's answer is shown, whatever order they arrive in

  function kind() {
    return action.value === "ask" || action.value === "resolve" ? action.value : "";
  }

  function sending() {
    return kind() !== "" && note.value.trim() !== "";
  }

  // The officer's text as the server words it into the SMS (staff.cases.clean_text and
  // clean_note; a note as notices.templates.sms_note puts it on one line).
  function typed(chosen) {
    var words = note.value.replace(/\u0000/g, "").trim();
    if (chosen !== "resolve") return words;
    words = Array.from(words).slice(0, noteMax).join("");
    return words.split(/\s+/).filter(Boolean).join(" ").replace(/[.\u0964]+$/, "").trim();
  }

  function digits(value) {
    var shown = String(value);
    if (data.digits !== "bn") return shown;
    return shown.replace(/[0-9]/g, function (d) { return BENGALI[d]; });
  }

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (whole, name) {
      return name in values ? (name === "encoding" ? values[name] : digits(values[name])) : whole;
    });
  }

  function countHere() {
    var chosen = kind();
    var words = typed(chosen);
    var sms = data[chosen + "Before"] + words + data[chosen + "After"];
    var whole = window.SahayataSms.count(sms, data.billing);
    var mine = whole.encoding === "GSM-7" ? window.SahayataSms.septets(words) : words.length;
    var line = fill(data.count, { typed: mine, units: whole.units, encoding: whole.encoding, parts: whole.parts });
    var over = whole.parts > maxParts;
    if (over) line += " " + fill(chosen === "ask" ? data.askOver : data.resolveOver, { max: maxParts });
    count.textContent = line;
    count.className = over && chosen === "ask" ? "error" : "";
  }

  function show(summary, fits, sms) {
    parts.textContent = summary;
    parts.className = fits ? "" : "error";
    text.textContent = sms;
    preview.hidden = false;
  }

  function refresh() {
    // Counted even when nothing is sent, so an answer still on its way for text the
    // officer has since cleared is stale and stays unshown.
    var mine = ++asked;
    if (!sending()) {
      preview.hidden = true;
      return;
    }
    var body = new FormData();
    body.append("csrf_token", form.elements["csrf_token"].value);
    body.append("note", note.value);
    fetch(data[kind() + "Url"], {
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
        // The server's count on screen would be for older text: say there is none, and how
        // to get it back. The action itself still checks the text.
        if (mine !== asked) return;
        show(data.unavailable, false, "");
      });
  }

  function typing() {
    clearTimeout(timer);
    if (!sending()) {
      refresh(); // hiding needs no pause
      return;
    }
    countHere();
    preview.hidden = false;
    timer = setTimeout(refresh, 250);
  }

  function chosen() {
    clearTimeout(timer);
    if (sending()) countHere();
    refresh();
  }

  note.addEventListener("input", typing);
  action.addEventListener("change", chosen);
  if (sending()) countHere();
  refresh();
})();
