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

  // A state about one field (a wrong or missing code, an invalid number or address) is marked on
  // that field itself (aria-invalid, message tied with aria-describedby), with the state's text.
  var FIELD_STATES = {wrong_code: "code", need_code: "code", invalid_phone: "phone", invalid_email: "email"};
  function markField(name) {
    var marked = null;
    Array.prototype.forEach.call(document.querySelectorAll(".flow-form .field-error"), function (error) {
      var input = byId(error.id.replace(/-error$/, ""));
      var shown = !!name && FIELD_STATES[name] + "-error" === error.id && input && !input.closest("[hidden]");
      var state = shown ? byId(name) : null;
      var text = state ? state.textContent.replace(/\s+/g, " ").trim() : "";
      error.textContent = text;
      error.hidden = !text;
      if (!input) { return; }
      var base = (input.getAttribute("aria-describedby") || "").split(" ")
        .filter(function (id) { return id && id !== error.id; });
      if (text) {
        input.setAttribute("aria-invalid", "true");
        base.push(error.id);
        marked = input;
      } else {
        input.removeAttribute("aria-invalid");
      }
      if (base.length) { input.setAttribute("aria-describedby", base.join(" ")); }
      else { input.removeAttribute("aria-describedby"); }
    });
    return marked;
  }
  Object.keys(FIELD_STATES).forEach(function (name) {
    var input = byId(FIELD_STATES[name]);
    if (input && form.contains(input)) { input.addEventListener("input", function () { markField(""); }); }
  });

  function show(name, purposes, quiet) {
    var el = byId(name);
    if (!el || !el.classList.contains("state")) { el = byId("bad_request"); }
    Array.prototype.forEach.call(document.querySelectorAll(".state"), function (s) { s.classList.remove("is-shown"); });
    var marked = markField(el.id);
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
      // the state's own heading replaces the page's; a reload shows the same state
      Array.prototype.forEach.call(document.querySelectorAll(".flow-form, .flow-intro, .flow-heading"),
                                   function (n) { n.hidden = true; });
      var heading = el.querySelector("h1");
      if (heading) { document.title = heading.textContent.replace(/\s+/g, " ").trim(); }
      if (window.history && history.replaceState && location.hash !== "#" + el.id) {
        history.replaceState(null, "", location.pathname + location.search + "#" + el.id);
      }
    }
    if (quiet) { return; }
    if (marked) { marked.focus(); } else { el.focus(); }
  }

  function setBusy(on) {
    busy = on;
    Array.prototype.forEach.call(buttons, function (b) { b.setAttribute("aria-disabled", on ? "true" : "false"); });
    status.textContent = on ? form.getAttribute("data-busy") : "";
  }

  var rows = Array.prototype.slice.call(form.querySelectorAll(".check[data-purpose]"));
  var manyPurposes = rows.length > 1;

  /* Show the purposes with these ids (all when none of them is the campaign's); one purpose
     left means no checkbox and one "Confirm" button, the purpose named above it. */
  function offer(ids) {
    var known = rows.filter(function (row) { return ids.indexOf(row.getAttribute("data-purpose")) >= 0; });
    if (!known.length) { known = rows; }
    rows.forEach(function (row) { row.hidden = known.indexOf(row) < 0; });
    if (!manyPurposes) { return; }
    var one = known.length === 1;
    form.classList.toggle("single", one);
    byId("confirm-purposes").hidden = one;
    byId("asked-one").hidden = !one;
    var secondary = form.querySelector("button[value=selected]");
    if (secondary) { secondary.hidden = one; }
    var target = byId("asked-label");
    target.textContent = "";
    target.setAttribute("data-purpose", one ? known[0].getAttribute("data-purpose") : "");
    if (one) {
      var label = known[0].querySelector("label");
      Array.prototype.forEach.call(label.childNodes, function (n) { target.appendChild(n.cloneNode(true)); });
    }
  }

  var params = new URLSearchParams(location.search);
  if (kind === "confirm" && params.get("t")) {
    form.elements.token.value = params.get("t");
    byId("code-field").hidden = true;
    byId("link-note").hidden = false;
    offer((params.get("p") || "").split(",").filter(Boolean));
  }

  // A state in the address (#confirmed after a redirect, #already_confirmed after a reload) is
  // the page's state on load with JavaScript too: a final one hides the form and the heading.
  function fromAddress() {
    var initial = location.hash.length > 1 ? byId(location.hash.slice(1)) : null;
    if (initial && initial.classList.contains("state")) { show(initial.id, [], true); }
  }
  fromAddress();
  window.addEventListener("hashchange", fromAddress);

  // A link that does not work (cut off by a mail client): fall back to typing the code.
  function useCode() {
    form.elements.token.value = "";
    byId("code-field").hidden = false;
    byId("link-note").hidden = true;
    offer([]);
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
          // ticked boxes the code or link does not cover: say so, not "tick at least one"
          var error = data.error === "no_purpose" && kind === "confirm" && ticked().length ? "not_covered" : data.error;
          show(error || "bad_request");
        }
      });
    }, function () {
      setBusy(false);
      show("network_error");
    });
  });
})();
