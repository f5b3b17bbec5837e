/* Billing Hub: poll a tenant's sync progress (the page works without it: a <noscript> refresh). */
(function () {
  "use strict";
  var box = document.getElementById("sync-progress");
  if (!box) { return; }
  var url = box.getAttribute("data-progress-url");
  var active = box.getAttribute("data-active") === "true";
  var fields = {
    phase: "sync-phase", pages_done: "sync-pages", events_this_run: "sync-events",
    started_at: "sync-started", finished_at: "sync-finished"
  };

  function show(id, value) {
    var el = document.getElementById(id);
    if (el) { el.textContent = value === null || value === undefined ? "" : String(value); }
  }

  function time(iso) {
    return iso ? iso.replace("T", " ").replace(/\.\d+/, "").replace(/\+00:00$/, "") : "";
  }

  function render(p) {
    show(fields.phase, p.phase);
    show(fields.pages_done, p.pages_done);
    show(fields.events_this_run, p.events_this_run);
    show(fields.started_at, time(p.started_at));
    show(fields.finished_at, time(p.finished_at));
    show("sync-error", p.error_code ? p.error_code + ": " + (p.error_message || "") : "");
    box.setAttribute("data-active", p.active ? "true" : "false");
  }

  function poll(delay) {
    window.setTimeout(function () {
      fetch(url, { headers: { "Accept": "application/json" }, credentials: "same-origin", cache: "no-store" })
        .then(function (r) { if (!r.ok) { throw new Error(String(r.status)); } return r.json(); })
        .then(function (p) { render(p); if (p.active) { poll(1000); } })
        .catch(function () { poll(Math.min(delay * 2, 15000)); });
    }, delay);
  }

  if (active) { poll(500); }
}());
