/* optin: progressive enhancement. Without this file every form is a plain HTML POST. */
(function () {
  "use strict";
  // Language picker: send the visitor to the best match for navigator.languages.
  var picker = document.getElementById("language-picker");
  if (picker && location.hash !== "#choose") {
    var links = Array.prototype.slice.call(picker.querySelectorAll("a[hreflang]"));
    var wanted = (navigator.languages || [navigator.language || ""]).map(function (l) { return l.toLowerCase(); });
    var match = null;
    wanted.some(function (lang) {
      var base = lang.split("-")[0];
      if (base === "no" || base === "nn") { base = "nb"; }
      match = links.filter(function (a) { return a.hreflang === base; })[0] || null;
      return match !== null;
    });
    if (match) { location.replace(match.href); }
  }
})();
