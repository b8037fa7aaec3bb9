// Upload batches screen: follow the uploader's batches live. The worker publishes `batch:progress` to the
// uploader's websocket group after every chunk; each progress cell is updated in place, and the page reloads once
// a batch it shows has finished (so counts, errors and the failed-rows link appear).
document.addEventListener("DOMContentLoaded", function () {
  "use strict";
  if (!document.querySelector("[data-batch-progress]")) return;
  var scheme = window.location.protocol === "https:" ? "wss" : "ws";
  var retry = 1000;

  function connect() {
    var socket = new WebSocket(scheme + "://" + window.location.host + "/ws/events/");
    socket.onopen = function () { retry = 1000; };
    socket.onmessage = function (message) {
      var payload;
      try { payload = JSON.parse(message.data); } catch (e) { return; }
      if (payload.event !== "batch:progress") return;
      var data = payload.data;
      var cells = document.querySelectorAll('[data-batch-progress="' + data.batch_id + '"]');
      if (!cells.length) return;
      cells.forEach(function (cell) {
        cell.textContent = data.processed_records + " / " + data.total_records +
          (data.failed_records ? " (" + data.failed_records + " failed)" : "");
      });
      if (data.status !== "processing") window.setTimeout(function () { window.location.reload(); }, 500);
    };
    socket.onclose = function () {
      window.setTimeout(connect, retry);
      retry = Math.min(retry * 2, 30000);
    };
  }
  connect();
});
