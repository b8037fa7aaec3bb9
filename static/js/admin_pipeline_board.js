// Admin pipeline board: drag a deal card to another stage column. The drop posts to the board's move view, which
// calls the same service as PUT /api/v1/opportunities/{id}; a refusal puts the card back and shows why. Moves made
// by anyone (here, in the API, elsewhere) arrive as `opportunity:updated` over the websocket and move the card.
document.addEventListener("DOMContentLoaded", function () {
  "use strict";
  var board = document.querySelector("[data-pipeline-board]");
  if (!board) return;
  var form = document.querySelector("[data-board-form]");
  var errorBox = document.querySelector("[data-board-error]");
  var dragged = null;

  function column(stage) { return board.querySelector('[data-stage="' + stage + '"]'); }
  function recount() {
    board.querySelectorAll("[data-stage]").forEach(function (col) {
      col.querySelector("[data-stage-count]").textContent = col.querySelectorAll("[data-deal]").length;
    });
  }
  function place(card, stage) {
    var target = column(stage);
    if (!target || card.parentNode === target) return;
    target.appendChild(card);
    card.setAttribute("data-stage-of", stage);
    recount();
  }
  function showError(text) {
    errorBox.textContent = text;
    errorBox.classList.toggle("hidden", !text);
  }

  board.addEventListener("dragstart", function (event) {
    dragged = event.target.closest("[data-deal]");
    if (dragged) event.dataTransfer.setData("text/plain", dragged.getAttribute("data-deal"));
  });
  board.addEventListener("dragover", function (event) {
    if (event.target.closest("[data-stage]")) event.preventDefault();
  });
  board.addEventListener("drop", function (event) {
    var target = event.target.closest("[data-stage]");
    if (!target || !dragged) return;
    event.preventDefault();
    var card = dragged;
    var from = card.getAttribute("data-stage-of");
    var stage = target.getAttribute("data-stage");
    dragged = null;
    if (stage === from) return;
    var reason = "";
    if (stage === "Lost") {
      reason = window.prompt("Why was the deal lost?") || "";
      if (!reason) return;
    }
    place(card, stage);
    var body = new FormData(form);
    body.append("opportunity", card.getAttribute("data-deal"));
    body.append("stage", stage);
    body.append("lost_reason", reason);
    fetch(form.action, { method: "POST", body: body, credentials: "same-origin" })
      .then(function (response) { return response.json().then(function (data) { return [response.ok, data]; }); })
      .then(function (result) {
        if (result[0]) { showError(""); return; }
        place(card, from);
        showError(result[1].error || "The move was refused.");
      })
      .catch(function () { place(card, from); showError("The move could not be saved; try again."); });
  });

  var scheme = window.location.protocol === "https:" ? "wss" : "ws";
  var retry = 1000;
  function connect() {
    var socket = new WebSocket(scheme + "://" + window.location.host + "/ws/events/");
    socket.onopen = function () { retry = 1000; };
    socket.onmessage = function (message) {
      var payload;
      try { payload = JSON.parse(message.data); } catch (e) { return; }
      if (payload.event !== "opportunity:updated") return;
      var card = board.querySelector('[data-deal="' + payload.data.opportunity_id + '"]');
      if (card) place(card, payload.data.stage);
    };
    socket.onclose = function () {
      window.setTimeout(connect, retry);
      retry = Math.min(retry * 2, 30000);
    };
  }
  connect();
});
