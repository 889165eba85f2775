// How many SMS parts a text costs, counted as outbound_sms/encoding.py counts them, so the
// case page can show the count while an officer types (the server's preview stays the
// authority: it knows the exact text and the provider).
//
// GSM-7 text counts septets (extension characters two), 160 in one message or 153 a part;
// once any character is outside GSM-7 (every Bangla letter is) the text is UCS-2 and counts
// UTF-16 code units, 70 in one message or 67 a part. A part never ends inside a character
// (an escape pair, a surrogate pair); Twilio's count keeps grapheme clusters whole too.
(function () {
  "use strict";
  // foundation/gsm7.py: GSM 03.38's basic alphabet and its extension table.
  var BASIC =
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
  var EXTENSION = "^{}\\[~]|€\f";
  var GSM7_SINGLE = 160, GSM7_PART = 153, UCS2_SINGLE = 70, UCS2_PART = 67;

  function septetsOf(chars) {
    var count = 0;
    for (var i = 0; i < chars.length; i++) {
      if (BASIC.indexOf(chars[i]) >= 0) count += 1;
      else if (EXTENSION.indexOf(chars[i]) >= 0) count += 2;
      else return null;
    }
    return count;
  }

  // Code points, as Python's str holds them (a lone surrogate is one).
  function characters(text) {
    return Array.from(text);
  }

  function septets(text) {
    return septetsOf(characters(text));
  }

  function graphemes(text) {
    var clusters = [];
    var segmenter = typeof Intl !== "undefined" && Intl.Segmenter ? new Intl.Segmenter("und", { granularity: "grapheme" }) : null;
    var pieces = segmenter ? Array.from(segmenter.segment(text), function (s) { return s.segment; }) : characters(text);
    pieces.forEach(function (cluster) {
      // One longer than a whole part (a pile of combining marks) is cut into characters.
      if (cluster.length > UCS2_PART) clusters.push.apply(clusters, characters(cluster));
      else clusters.push(cluster);
    });
    return clusters;
  }

  function pack(costs, capacity) {
    var parts = 1, used = 0;
    costs.forEach(function (cost) {
      if (used + cost > capacity) {
        parts += 1;
        used = 0;
      }
      used += cost;
    });
    return parts;
  }

  // {encoding, units, parts} of `text` billed as "standard" or "twilio".
  function count(text, billing) {
    var chars = characters(text);
    var gsm = septetsOf(chars);
    var encoding, units, single, part, cost;
    if (gsm !== null) {
      encoding = "GSM-7"; units = gsm; single = GSM7_SINGLE; part = GSM7_PART;
      cost = function (atom) { return septetsOf(characters(atom)); };
    } else {
      encoding = "UCS-2"; units = text.length; single = UCS2_SINGLE; part = UCS2_PART;
      cost = function (atom) { return atom.length; };
    }
    if (units <= single) return { encoding: encoding, units: units, parts: 1 };
    // Every character one unit: whole characters pack without waste.
    if (units === chars.length) {
      if (billing !== "twilio") return { encoding: encoding, units: units, parts: Math.ceil(units / part) };
      cost = function (atom) { return characters(atom).length; };
    }
    var atoms = billing === "twilio" ? graphemes(text) : chars;
    return { encoding: encoding, units: units, parts: pack(atoms.map(cost), part) };
  }

  window.SahayataSms = { count: count, septets: septets };
})();
