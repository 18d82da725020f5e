/* optin serve only (never in `optin build` output): reload the page after a rebuild, show a
   failed rebuild's error. Long-polls /_livereload; the server adds this script to the pages it
   serves and 'self' to their connect-src. The text shown comes from the server. */
(function () {
  "use strict";
  var script = document.currentScript;
  var version = script ? script.getAttribute("data-version") : "0";
  var lang = document.documentElement.lang || "en";
  var box = null;

  function show(title, error) {
    if (!box) {
      box = document.createElement("div");
      box.id = "optin-livereload-error";
      box.setAttribute("role", "alert");
      var s = box.style;  /* CSSOM, not a style attribute: the CSP allows it */
      s.position = "fixed"; s.left = "0"; s.right = "0"; s.bottom = "0"; s.zIndex = "2147483647";
      s.maxHeight = "50vh"; s.overflow = "auto"; s.margin = "0"; s.padding = "1rem";
      s.background = "#5c0011"; s.color = "#ffffff"; s.font = "14px/1.4 monospace"; s.whiteSpace = "pre-wrap";
      document.body.appendChild(box);
    }
    box.textContent = title + "\n\n" + error;
  }

  function hide() {
    if (box) { box.remove(); box = null; }
  }

  function poll(errors) {
    var query = "?version=" + encodeURIComponent(version) + "&lang=" + encodeURIComponent(lang);
    if (errors !== null) { query += "&errors=" + errors; }
    fetch("/_livereload" + query, {cache: "no-store"})
      .then(function (res) { return res.json(); })
      .then(function (state) {
        if (String(state.version) !== String(version)) { location.reload(); return; }
        if (state.error) { show(state.title || "", state.error); } else { hide(); }
        poll(state.errors);
      })
      .catch(function () { setTimeout(function () { poll(null); }, 1000); });  /* server restarting */
  }

  poll(null);
})();
