// Live queue: the console's event stream says when a proposal changes; the rows are
// re-fetched (same filters) and swapped in without reloading the page.
(function () {
  "use strict";
  var box = document.getElementById("queue-rows");
  var status = document.getElementById("live-status");
  if (!box || !window.EventSource) { return; }
  var pending = null;
  function refresh() {
    pending = null;
    fetch(box.getAttribute("data-source"), { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (r) {
        if (r.status === 401 || r.redirected) { window.location.reload(); return null; }
        return r.ok ? r.text() : null;
      })
      .then(function (html) {
        if (html === null) { return; }
        box.innerHTML = html;
        status.textContent = "Live: updated " + new Date().toLocaleTimeString() + ".";
        box.setAttribute("data-updated", String(Date.now()));
      })
      .catch(function () { status.textContent = "Live updates paused: retrying."; });
  }
  var source = new EventSource(box.getAttribute("data-events") || "/console/events");
  source.addEventListener("proposal", function () {
    if (pending === null) { pending = window.setTimeout(refresh, 150); }
  });
  source.addEventListener("signed-out", function () { source.close(); window.location.reload(); });
  source.onerror = function () { status.textContent = "Live updates reconnecting…"; };
  source.onopen = function () { status.textContent = "Live: updates appear without reloading."; };
})();
