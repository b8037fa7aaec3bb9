// Customer portal: live notifications over the websocket (badge, list, toast), the claim page as its claim moves,
// and upload progress for claim documents. Progressive enhancement: every page works without it.
(function () {
  "use strict";

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text) node.textContent = text;
    return node;
  }

  var badge = document.querySelector("[data-unread-badge]");
  var counter = document.querySelector("[data-unread-count]");
  var unread = badge ? parseInt(badge.getAttribute("data-count"), 10) || 0 : 0;

  function setUnread(n) {
    unread = n;
    if (counter) counter.textContent = String(n);
    if (badge) { badge.firstChild.nodeValue = String(n); badge.hidden = n === 0; }
  }

  function toast(text) {
    var box = document.querySelector("[data-live-toast]");
    if (!box) return;
    box.textContent = text;
    box.hidden = false;
    window.setTimeout(function () { box.hidden = true; }, 6000);
  }

  function addNotification(data) {
    var list = document.querySelector("[data-notification-list]");
    if (!list) return;
    var empty = list.querySelector("[data-empty]");
    if (empty) empty.remove();
    var item = el("p", "unread");
    if (data.link) {
      var a = el("a", null, data.title);
      a.href = data.link;
      item.appendChild(a);
    } else {
      item.appendChild(document.createTextNode(data.title));
    }
    item.appendChild(document.createTextNode(" "));
    item.appendChild(el("span", "muted", "just now"));
    list.insertBefore(item, list.firstChild);
  }

  // The claim page follows its claim: when it moves, the parts marked data-live-part (status, facts, timeline) are
  // re-rendered from the server in place — no reload, so a half-filled upload form and the socket are kept.
  var claimRefresh = 0;

  function refreshClaim(data) {
    var status = document.querySelector("[data-claim-status]");
    if (!status || status.getAttribute("data-claim-id") !== String(data.claim_id)) return;
    var mine = ++claimRefresh;
    fetch(window.location.href, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (r) { if (!r.ok) throw new Error(String(r.status)); return r.text(); })
      .then(function (html) {
        if (mine !== claimRefresh) return; // a later move is being fetched
        var fresh = new DOMParser().parseFromString(html, "text/html");
        document.querySelectorAll("[data-live-part]").forEach(function (part) {
          var name = part.getAttribute("data-live-part");
          var next = fresh.querySelector('[data-live-part="' + name + '"]');
          if (!next || part.contains(document.activeElement)) return; // never under the customer's cursor
          part.className = next.className;
          part.innerHTML = next.innerHTML;
        });
      })
      .catch(function () {
        if (mine !== claimRefresh) return;
        status.className = "tag tag-" + data.to; // at least the status, from the event itself
        status.textContent = data.to.charAt(0).toUpperCase() + data.to.slice(1).replace(/_/g, " ");
      });
  }

  // A support request's page follows its ticket (ticket:updated reaches the customer for replies and moves, never
  // for internal notes): the same in-place refresh of its data-live-part parts.
  function refreshTicket(data) {
    var status = document.querySelector("[data-ticket-status]");
    if (!status || status.getAttribute("data-ticket-id") !== String(data.ticket_id)) return;
    fetch(window.location.href, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (r) { if (!r.ok) throw new Error(String(r.status)); return r.text(); })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html");
        document.querySelectorAll("[data-live-part]").forEach(function (part) {
          var next = fresh.querySelector('[data-live-part="' + part.getAttribute("data-live-part") + '"]');
          if (!next || part.contains(document.activeElement)) return;
          part.className = next.className;
          part.innerHTML = next.innerHTML;
        });
      })
      .catch(function () {});
  }

  // An upload replaces the document with the server's answer (document.write below), which runs this script again
  // in the same window, where the previous run's socket lives on: it is stopped, or the page would hear every event
  // once per upload plus one.
  var socket = null, stopped = false;
  if (window.__portalLive) window.__portalLive.stop();
  window.__portalLive = {
    stop: function () {
      stopped = true;
      if (socket) { socket.onclose = null; socket.close(); }
    }
  };

  function connect(delay) {
    if (stopped) return;
    var scheme = window.location.protocol === "https:" ? "wss" : "ws";
    socket = new WebSocket(scheme + "://" + window.location.host + "/ws/events/");
    socket.onopen = function () { delay = 1000; };
    socket.onmessage = function (message) {
      var payload;
      try { payload = JSON.parse(message.data); } catch (e) { return; }
      // A claim move reaches the customer once: as the notification about it (which carries the move), or as
      // claim:updated when they turned in-app notifications of updates off.
      if (payload.event === "notification:new") {
        setUnread(unread + 1);
        addNotification(payload.data);
        toast(payload.data.title);
        if (payload.data.event === "claim:status_changed" && payload.data.data) refreshClaim(payload.data.data);
      } else if (payload.event === "claim:updated") {
        refreshClaim({ claim_id: payload.data.claim_id, to: payload.data.status });
      } else if (payload.event === "ticket:updated") {
        refreshTicket(payload.data);
      }
    };
    socket.onclose = function () { window.setTimeout(function () { connect(Math.min(delay * 2, 30000)); }, delay); };
  }

  function uploadWithProgress(form) {
    var bar = form.querySelector("[data-upload-progress]");
    if (!bar || !window.FormData) return;
    form.addEventListener("submit", function (event) {
      var file = form.querySelector("input[type=file]");
      if (!file || !file.files.length) return; // let the server say what is missing
      event.preventDefault();
      var request = new XMLHttpRequest();
      request.open("POST", form.action || window.location.href);
      bar.hidden = false;
      request.upload.onprogress = function (e) { if (e.lengthComputable) bar.value = Math.round(100 * e.loaded / e.total); };
      request.onload = function () {
        document.open();
        document.write(request.responseText); // the server's answer: the page with the file, or the errors
        document.close();
        if (request.responseURL) window.history.replaceState(null, "", request.responseURL);
      };
      request.onerror = function () { bar.hidden = true; form.submit(); };
      request.send(new FormData(form));
    });
  }

  setUnread(unread);
  document.querySelectorAll("form[enctype='multipart/form-data']").forEach(uploadWithProgress);
  connect(1000);
})();
