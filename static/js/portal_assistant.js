// The portal's assistant chat: sends each message to the API with the session's CSRF token, shows the answer, its
// sources, and a Confirm / Cancel pair for every action the assistant proposes (nothing runs before Confirm).
(function () {
  "use strict";
  var log = document.getElementById("chat-log");
  var form = document.getElementById("chat-form");
  if (!log || !form) return;
  var box = document.getElementById("chat-message");
  var hints = document.getElementById("chat-suggestions");
  var token = form.querySelector("input[name=csrfmiddlewaretoken]").value;
  var conversationId = null;

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
    item.className = "chat-" + who;
    var label = document.createElement("strong");
    label.textContent = who === "you" ? "You: " : "Assistant: ";
    item.appendChild(label);
    var body = document.createElement("span");
    body.textContent = text;
    item.appendChild(body);
    log.appendChild(item);
    return item;
  }

  function link(item, href, text) {
    var a = document.createElement("a");
    a.href = href;
    a.textContent = text;
    item.appendChild(document.createTextNode(" "));
    item.appendChild(a);
  }

  function offer(item, action) {
    var group = document.createElement("div");
    group.className = "chat-action";
    [["confirm", "Confirm"], ["refuse", "Cancel"]].forEach(function (pair) {
      var button = document.createElement("button");
      button.type = "button";
      button.textContent = pair[1];
      if (pair[0] === "confirm") button.className = "primary";
      button.addEventListener("click", function () {
        group.querySelectorAll("button").forEach(function (b) { b.disabled = true; });
        post(log.dataset.confirm, { action_id: action.id, decision: pair[0] }).then(function (answer) {
          if (!answer.success) {
            add("assistant", answer.error.message);
            return;
          }
          var reply = add("assistant", answer.data.message);
          var url = answer.data.result && ((answer.data.result.url) || (answer.data.result.ticket && answer.data.result.ticket.url));
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
    var body = { message: text };
    if (conversationId) body.conversation_id = conversationId;
    post(log.dataset.endpoint, body).then(function (answer) {
      if (!answer.success) {
        add("assistant", answer.error.message);
        return;
      }
      var data = answer.data;
      conversationId = data.conversation_id;
      var item = add("assistant", data.response);
      (data.sources || []).forEach(function (source) {
        if (source.url) link(item, source.url, source.title);
      });
      (data.actions || []).forEach(function (action) {
        if (action.status === "pending") offer(item, action);  // a "yes" turn returns the ones it decided
      });
      hints.textContent = data.suggestions && data.suggestions.length ? "Try: " + data.suggestions.join(" · ") : "";
    });
  });
})();
