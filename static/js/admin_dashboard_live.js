// Back-office dashboard: refresh the figures when the business moves (a claim changes status, a case is assigned,
// a batch finishes), at most every 10 seconds, by re-rendering the page's dashboard block from the server.
document.addEventListener("DOMContentLoaded", function () {
  "use strict";
  var root = document.querySelector("[data-live-dashboard]");
  if (!root) return;
  var interesting = /^(claim:|case:|batch:progress$|notification:new$)/;
  var pending = false, last = 0;

  function refresh() {
    pending = false;
    last = Date.now();
    fetch(window.location.href, { credentials: "same-origin" })
      .then(function (r) { return r.text(); })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        var fresh = doc.querySelector("[data-live-dashboard]");
        if (fresh) { root.innerHTML = fresh.innerHTML; if (window.Chart) window.dispatchEvent(new Event("load")); }
      })
      .catch(function () {});
  }

  function schedule() {
    if (pending) return;
    pending = true;
    window.setTimeout(refresh, Math.max(0, 10000 - (Date.now() - last)));
  }

  function connect(delay) {
    var scheme = window.location.protocol === "https:" ? "wss" : "ws";
    var socket = new WebSocket(scheme + "://" + window.location.host + "/ws/events/");
    socket.onopen = function () { delay = 1000; };
    socket.onmessage = function (message) {
      try { if (interesting.test(JSON.parse(message.data).event)) schedule(); } catch (e) { /* not ours */ }
    };
    socket.onclose = function () { window.setTimeout(function () { connect(Math.min(delay * 2, 30000)); }, delay); };
  }
  connect(1000);
});
