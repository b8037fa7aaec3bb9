// The admin's copilot panel (templates/admin/assistant/copilot.html): each turn goes to POST /api/v1/copilot/chat
// with the conversation so far, and each proposed write shows Confirm / Cancel buttons that post the decision to
// POST /api/v1/ai/actions/confirm — the API's own engine, permission checks and audit trail, with the admin session
// and its CSRF token. Nothing here writes anything by itself.
(function () {
  "use strict";
  var log = document.getElementById("copilot-log");
  var form = document.getElementById("copilot-form");
  if (!log || !form) return;
  var box = document.getElementById("copilot-message");
  var hints = document.getElementById("copilot-suggestions");
  var token = form.querySelector("input[name=csrfmiddlewaretoken]").value;
  var conversationId = null;
  var history = [];

  function post(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": token, Accept: "application/json" },
      body: JSON.stringify(body),
    }).then(function (response) {
      return response.json();
    });
  }

  function add(who, text) {
    var item = document.createElement("li");
    item.className = "copilot-" + who + " rounded-default px-3 py-2 " + (who === "you" ? "bg-base-100 dark:bg-base-800" : "border border-base-200 dark:border-base-700");
    var label = document.createElement("strong");
    label.textContent = who === "you" ? "You: " : "Copilot: ";
    item.appendChild(label);
    var body = document.createElement("span");
    body.style.whiteSpace = "pre-line";
    body.textContent = text;
    item.appendChild(body);
    log.appendChild(item);
    return item;
  }

  function link(item, href, text) {
    var a = document.createElement("a");
    a.href = href;
    a.className = "text-primary-600 underline";
    a.textContent = text;
    item.appendChild(document.createTextNode(" "));
    item.appendChild(a);
  }

  function offer(item, action) {
    var group = document.createElement("div");
    group.className = "copilot-action flex gap-2 items-center mt-2";
    group.dataset.actionId = action.id;
    var what = document.createElement("em");
    what.textContent = action.summary;
    group.appendChild(what);
    [["confirm", "Confirm"], ["refuse", "Cancel"]].forEach(function (pair) {
      var button = document.createElement("button");
      button.type = "button";
      button.textContent = pair[1];
      button.className = pair[0] === "confirm"
        ? "bg-primary-600 text-white rounded-default px-3 py-1 font-medium"
        : "border border-base-200 rounded-default px-3 py-1";
      button.addEventListener("click", function () {
        group.querySelectorAll("button").forEach(function (b) { b.disabled = true; });
        post(log.dataset.confirm, { action_id: action.id, decision: pair[0] }).then(function (answer) {
          if (!answer.success) {
            add("assistant", answer.error.message);
            return;
          }
          var reply = add("assistant", answer.data.message);
          var url = answer.data.result && answer.data.result.admin_url;
          if (url) link(reply, url, "Open it");
        });
      });
      group.appendChild(button);
    });
    item.appendChild(group);
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = box.value.trim();
    if (!text) return;
    add("you", text);
    box.value = "";
    var turns = history.concat([{ role: "user", parts: [{ text: text }] }]);
    var body = { history: turns, context: { page: "admin copilot" } };
    if (conversationId) body.conversation_id = conversationId;
    post(log.dataset.endpoint, body).then(function (answer) {
      if (!answer.success) {
        add("assistant", answer.error.message);
        return;
      }
      var data = answer.data;
      conversationId = data.conversation_id;
      history = turns.concat([{ role: "model", parts: [{ text: data.chatResponse }] }]);
      var item = add("assistant", data.chatResponse);
      (data.sources || []).forEach(function (source) {
        if (source.url) link(item, source.url, source.title);
      });
      (data.actions || []).forEach(function (action) {
        if (action.status === "pending") offer(item, action);
      });
      hints.textContent = data.suggestions && data.suggestions.length ? "Try: " + data.suggestions.join(" · ") : "";
    });
  });
})();
