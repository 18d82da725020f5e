/* Confirm and withdraw pages: send the form with fetch() and show the localised page state.
   Without this file both forms still work: the browser posts them and the receiver redirects
   to page.html#<state>, which CSS (:target) shows. All texts are in the HTML. */
(function () {
  "use strict";
  var form = document.querySelector("form[data-flow]");
  if (!form || !window.fetch || !window.URLSearchParams) { return; }
  var kind = form.getAttribute("data-flow");
  var status = document.getElementById("form-status");
  var buttons = form.querySelectorAll("button[type=submit]");
  var busy = false;
  var lastButton = null;
  document.documentElement.classList.add("flow-js");

  function byId(id) { return document.getElementById(id); }
  function boxes() {
    return Array.prototype.slice.call(form.querySelectorAll("input[name=purposes]")).filter(function (box) {
      var row = box.closest(".check");
      return !(row && row.hidden);
    });
  }
  function labelFor(id) {
    var label = form.querySelector("label[for='" + kind + "-" + id + "']");
    return label ? label.textContent.replace(/\s+/g, " ").trim() : id;
  }

  function show(name, purposes) {
    var el = byId(name);
    if (!el || !el.classList.contains("state")) { el = byId("bad_request"); }
    Array.prototype.forEach.call(document.querySelectorAll(".state"), function (s) { s.classList.remove("is-shown"); });
    var list = el.querySelector(".state-list");
    if (list) {
      list.textContent = "";
      (purposes || []).forEach(function (id) {
        var li = document.createElement("li");
        li.textContent = labelFor(id);
        list.appendChild(li);
      });
    }
    el.classList.add("is-shown");
    if (el.classList.contains("final")) {
      form.hidden = true;
      var intro = document.querySelector(".flow-intro");
      if (intro) { intro.hidden = true; }
    }
    el.focus();
  }

  function setBusy(on) {
    busy = on;
    Array.prototype.forEach.call(buttons, function (b) { b.setAttribute("aria-disabled", on ? "true" : "false"); });
    status.textContent = on ? form.getAttribute("data-busy") : "";
  }

  // A state in the address (#confirmed after a redirect) stays visible with JavaScript too.
  if (location.hash.length > 1) {
    var initial = byId(location.hash.slice(1));
    if (initial && initial.classList.contains("state")) { initial.classList.add("is-shown"); }
  }

  var params = new URLSearchParams(location.search);
  if (kind === "confirm" && params.get("t")) {
    form.elements.token.value = params.get("t");
    byId("code-field").hidden = true;
    byId("link-note").hidden = false;
    var asked = (params.get("p") || "").split(",").filter(Boolean);
    if (asked.length) {
      Array.prototype.forEach.call(form.querySelectorAll(".check[data-purpose]"), function (row) {
        row.hidden = asked.indexOf(row.getAttribute("data-purpose")) < 0;
      });
    }
  }

  // A link that does not work (cut off by a mail client): fall back to typing the code.
  function useCode() {
    form.elements.token.value = "";
    byId("code-field").hidden = false;
    byId("link-note").hidden = true;
    Array.prototype.forEach.call(form.querySelectorAll(".check[data-purpose]"), function (row) { row.hidden = false; });
  }

  Array.prototype.forEach.call(buttons, function (b) {
    b.addEventListener("click", function () { lastButton = b; });
  });

  function ticked() {
    return boxes().filter(function (box) { return box.checked; }).map(function (box) { return box.value; });
  }

  function confirmBody(scope) {
    var body = { campaign: form.elements.campaign.value, locale: form.elements.locale.value };
    var token = form.elements.token.value;
    var code = form.elements.code.value.trim();
    if (token) { body.token = token; } else if (code) { body.code = code; } else { return "need_code"; }
    body.purposes = scope === "all" ? ["*"] : ticked();
    return body.purposes.length ? body : "no_purpose";
  }

  function withdrawBody() {
    var body = { campaign: form.elements.campaign.value, locale: form.elements.locale.value };
    var phone = form.elements.phone ? form.elements.phone.value.trim() : "";
    var email = form.elements.email ? form.elements.email.value.trim() : "";
    if (!phone && !email) { return "no_contact"; }
    if (phone) { body.phone = phone; body.country_code = form.elements.country_code.value; }
    if (email) { body.email = email; }
    var chosen = ticked();
    body.purposes = chosen.indexOf("*") >= 0 ? ["*"] : chosen;
    return body.purposes.length ? body : "no_purpose";
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (busy) { return; }
    var submitter = event.submitter || lastButton;
    var body = kind === "confirm" ? confirmBody(submitter ? submitter.value : "all") : withdrawBody();
    if (typeof body === "string") { show(body); return; }
    setBusy(true);
    fetch(form.action, {
      method: "POST", credentials: "omit", cache: "no-store",
      headers: { "Content-Type": "application/json", "Accept": "application/json" },
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        setBusy(false);
        if (response.ok) {
          var done = data.purposes || [];
          if (done.indexOf("*") >= 0) { done = boxes().map(function (b) { return b.value; }).filter(function (v) { return v !== "*"; }); }
          show(kind === "confirm" ? "confirmed" : "withdrawn", done);
        } else if (response.status >= 500) {
          show("server_error");
        } else {
          if (data.error === "invalid_token" && kind === "confirm") { useCode(); }
          show(data.error || "bad_request");
        }
      });
    }, function () {
      setBusy(false);
      show("network_error");
    });
  });
})();
