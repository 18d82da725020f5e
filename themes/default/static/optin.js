/* optin: progressive enhancement. Without this file every form is a plain HTML POST.
   No user-facing text lives here: the signup page carries its translated messages in
   <script type="application/json" id="optin-messages">. */
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

  /* Phone number to E.164: drop spaces, dashes, dots, slashes and brackets; 00 means +;
     without + the campaign's calling code is put in front after dropping one national
     trunk 0. The result must have 6 to 15 digits. Returns null when it cannot be valid. */
  function toE164(raw, callingCode) {
    var s = String(raw || "").trim().replace(/[\s\-.()\/\u00a0]/g, "");
    if (s.indexOf("00") === 0) { s = "+" + s.slice(2); }
    var digits;
    if (s.charAt(0) === "+") {
      digits = s.slice(1);
    } else {
      if (!callingCode || s === "") { return null; }
      digits = String(callingCode) + s.replace(/^0/, "");
    }
    return /^[1-9][0-9]{5,14}$/.test(digits) ? "+" + digits : null;
  }

  function looksLikeEmail(value) {
    return /^[^\s@]+@[^\s@.]+(\.[^\s@.]+)+$/.test(value);
  }

  function uuid4() {
    if (window.crypto && crypto.randomUUID) { return crypto.randomUUID(); }
    var b = new Uint8Array(16);
    crypto.getRandomValues(b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  window.optin = { toE164: toE164, looksLikeEmail: looksLikeEmail };

  var form = document.getElementById("signup");
  var messagesNode = document.getElementById("optin-messages");
  if (!form || !messagesNode || !window.fetch) { return; }
  var msg = JSON.parse(messagesNode.textContent);
  form.noValidate = true; // our messages replace the browser's; without JS the browser validates

  var boxes = Array.prototype.slice.call(form.querySelectorAll('input[type="checkbox"][name="purposes"]'));
  var fields = Array.prototype.slice.call(form.querySelectorAll(".field[data-needed-by]")).map(function (node) {
    return { node: node, input: node.querySelector("input:not([type=hidden])"),
             neededBy: node.getAttribute("data-needed-by").split(" ") };
  });
  var summary = document.getElementById("form-error");
  var status = document.getElementById("form-status");
  var button = form.querySelector('button[type="submit"]');
  var honeypot = form.elements.namedItem("website");
  var callingCode = parseInt(form.getAttribute("data-calling-code"), 10) || 0;
  var busy = false;
  var attempted = false;
  var shownKey = "";
  var lastRecord = { key: "", id: "" };

  function hidden(name) {
    var el = form.elements.namedItem(name);
    return el ? el.value : "";
  }

  function ticked() {
    return boxes.filter(function (b) { return b.checked; }).map(function (b) { return b.value; });
  }

  function needed(field, purposes) {
    return field.neededBy.some(function (id) { return purposes.indexOf(id) !== -1; });
  }

  /* Check the form; returns {errors: [{field, text}], data: payload without client fields}. */
  function check() {
    var purposes = ticked();
    var errors = [];
    var data = { campaign: hidden("campaign"), locale: hidden("locale"), purposes: purposes };
    if (!purposes.length) { errors.push({ field: "purposes", text: msg.no_purpose }); }
    fields.forEach(function (f) {
      if (!needed(f, purposes)) { return; }
      var name = f.input.name;
      var value = f.input.value.trim();
      if (!value) {
        errors.push({ field: name, text: msg[name + "_missing"] });
      } else if (name === "phone") {
        var e164 = toE164(value, callingCode);
        if (e164) { data.phone = e164; } else { errors.push({ field: name, text: msg.phone_invalid }); }
      } else if (name === "email" && !looksLikeEmail(value)) {
        errors.push({ field: name, text: msg.email_invalid });
      } else {
        data[name] = value;
      }
    });
    data.notice_version = hidden("notice_version");
    data.wording_version = hidden("wording_version");
    data.website = honeypot ? honeypot.value : "";
    return { errors: errors, data: data };
  }

  function fieldInputs(name) {
    if (name === "purposes") { return boxes; }
    var el = form.elements.namedItem(name);
    return el ? [el] : [];
  }

  function setFieldError(name, text) {
    var note = document.getElementById(name + "-error");
    if (note) {
      note.textContent = text || "";
      note.hidden = !text;
    }
    fieldInputs(name).forEach(function (el) {
      if (text) { el.setAttribute("aria-invalid", "true"); } else { el.removeAttribute("aria-invalid"); }
    });
  }

  function clearSummary() {
    summary.textContent = "";
    shownKey = "";
  }

  /* Field errors next to each field and a summary (role=alert) linking to them. */
  function showErrors(errors, moveFocus) {
    ["purposes"].concat(fields.map(function (f) { return f.input.name; })).forEach(function (name) {
      var error = errors.filter(function (e) { return e.field === name; })[0];
      setFieldError(name, error ? error.text : "");
    });
    var key = errors.map(function (e) { return e.field + ":" + e.text; }).join("|");
    if (key === shownKey && !moveFocus) { return; }
    clearSummary();
    shownKey = key;
    if (!errors.length) { return; }
    var title = document.createElement("p");
    title.className = "form-error-title";
    title.textContent = msg.summary_title;
    var list = document.createElement("ul");
    errors.forEach(function (e) {
      var item = document.createElement("li");
      var target = fieldInputs(e.field)[0];
      if (target) {
        var link = document.createElement("a");
        link.href = "#" + target.id;
        link.textContent = e.text;
        link.addEventListener("click", function (ev) { ev.preventDefault(); target.focus(); });
        item.appendChild(link);
      } else {
        item.textContent = e.text;
      }
      list.appendChild(item);
    });
    summary.appendChild(title);
    summary.appendChild(list);
    if (moveFocus) { summary.focus(); }
  }

  /* A problem with sending (not with a field): one message in the summary, focus on it. */
  function showProblem(text) {
    clearSummary();
    shownKey = "problem";
    var p = document.createElement("p");
    p.textContent = text;
    summary.appendChild(p);
    summary.focus();
  }

  function setBusy(on, text) {
    busy = on;
    button.setAttribute("aria-disabled", on ? "true" : "false");
    form.setAttribute("aria-busy", on ? "true" : "false");
    status.textContent = text || "";
  }

  function body(data, asJson) {
    if (asJson) { return JSON.stringify(data); }
    var params = new URLSearchParams();
    Object.keys(data).forEach(function (k) {
      [].concat(data[k]).forEach(function (v) { params.append(k, v); });
    });
    return params;
  }

  function handleRejection(status, error) {
    var code = error && error.error;
    var byCode = { no_purpose: ["purposes", msg.no_purpose], invalid_phone: ["phone", msg.phone_invalid],
                   invalid_email: ["email", msg.email_invalid] };
    if (byCode[code] && fieldInputs(byCode[code][0]).length) {
      showErrors([{ field: byCode[code][0], text: byCode[code][1] }], true);
    } else if (code === "rate_limited" || status === 429) {
      showProblem(msg.rate_limited);
    } else {
      showProblem(msg.rejected);
    }
  }

  function send(data) {
    // The same answers keep the same record id, so a retry after a lost reply is not a second record.
    var key = JSON.stringify(data);
    if (key !== lastRecord.key) { lastRecord = { key: key, id: uuid4() }; }
    data.record_id = lastRecord.id;
    data.client_timestamp = new Date().toISOString();
    data.page_url = location.href.split("#")[0];
    var asJson = form.getAttribute("data-format") !== "form";
    var headers = { Accept: "application/json" };
    if (asJson) { headers["Content-Type"] = "application/json"; }
    var controller = window.AbortController ? new AbortController() : null;
    var timer = controller ? setTimeout(function () { controller.abort(); }, 30000) : null;
    setBusy(true, msg.sending);
    fetch(form.action, {
      method: "POST", headers: headers, body: body(data, asJson), credentials: "omit",
      redirect: "manual", cache: "no-store", signal: controller ? controller.signal : undefined
    }).then(function (res) {
      clearTimeout(timer);
      if (res.ok || res.type === "opaqueredirect") {
        status.textContent = msg.sent;
        location.assign(new URL(form.getAttribute("data-thanks") || "thanks.html", location.href).href);
        return;
      }
      setBusy(false);
      if (res.status >= 500) { showProblem(msg.server); return; }
      return res.json().catch(function () { return {}; }).then(function (error) {
        handleRejection(res.status, error);
      });
    }, function () {
      clearTimeout(timer);
      setBusy(false);
      showProblem(msg.network);
    });
  }

  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    if (busy) { return; }
    attempted = true;
    var result = check();
    if (result.errors.length) {
      showErrors(result.errors, true);
      return;
    }
    showErrors([], false);
    send(result.data);
  });

  // After a failed attempt, clear or update the messages as the person fixes things; new
  // problems wait for the next submit, so nobody is told off halfway through filling in.
  form.addEventListener("change", function () {
    if (!attempted || busy) { return; }
    var shown = Array.prototype.map.call(form.querySelectorAll('.field-error:not([hidden])'), function (n) {
      return n.id.replace(/-error$/, "");
    });
    showErrors(check().errors.filter(function (e) { return shown.indexOf(e.field) !== -1; }), false);
  });
})();
