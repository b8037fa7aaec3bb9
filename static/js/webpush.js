// Web Push on this browser, in the person's notification preferences (portal profile, admin "Push
// notifications"). Progressive enhancement over the [data-push-panel] element:
//   data-api   the push-subscriptions endpoint (GET: VAPID public key + my browsers; POST: subscribe;
//              DELETE {id}: unsubscribe), called with the session cookie and the CSRF token
//   data-sw    the service worker's URL (/push-sw.js)
// The notification types to push are the panel's checked [name=push_types] boxes. No inline script (CSP).
(function () {
  "use strict";

  var panel = document.querySelector("[data-push-panel]");
  if (!panel) return;
  var api = panel.getAttribute("data-api");
  var swUrl = panel.getAttribute("data-sw");
  var state = panel.querySelector("[data-push-state]");
  var onButton = panel.querySelector("[data-push-on]");
  var offButton = panel.querySelector("[data-push-off]");

  function say(text) { if (state) state.textContent = text; }
  function show(on) {
    if (onButton) onButton.hidden = on;
    if (offButton) offButton.hidden = !on;
  }

  function csrf() {
    var field = document.querySelector("input[name=csrfmiddlewaretoken]");
    if (field) return field.value;
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  function call(method, url, body) {
    var options = {
      method: method,
      credentials: "same-origin",
      headers: { "Accept": "application/json", "X-CSRFToken": csrf() }
    };
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    return fetch(url, options).then(function (response) {
      if (response.status === 204) return null;
      return response.json().then(function (payload) {
        if (!response.ok || !payload.success) {
          throw new Error((payload.error && payload.error.message) || "The server refused (" + response.status + ").");
        }
        return payload.data;
      });
    });
  }

  function keyBytes(base64url) {
    var padded = (base64url + "===".slice((base64url.length + 3) % 4)).replace(/-/g, "+").replace(/_/g, "/");
    var raw = window.atob(padded);
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
    return bytes;
  }

  function chosenTypes() {
    var boxes = panel.querySelectorAll("input[name=push_types]");
    var types = [];
    for (var i = 0; i < boxes.length; i++) if (boxes[i].checked) types.push(boxes[i].value);
    return types;
  }

  var settings = null;

  function mine(subscription) {
    if (!subscription || !settings) return null;
    for (var i = 0; i < settings.subscriptions.length; i++) {
      if (settings.subscriptions[i].endpoint === subscription.endpoint) return settings.subscriptions[i];
    }
    return null;
  }

  function registration() {
    return navigator.serviceWorker.register(swUrl, { scope: "/" }).then(function () {
      return navigator.serviceWorker.ready;
    });
  }

  function refresh() {
    return call("GET", api).then(function (data) {
      settings = data;
      if (!data.enabled) { say("Push notifications are not set up on this site."); show(false); onButton.hidden = true; return; }
      return registration().then(function (reg) { return reg.pushManager.getSubscription(); }).then(function (sub) {
        var known = mine(sub);
        if (known) {
          var boxes = panel.querySelectorAll("input[name=push_types]");
          for (var i = 0; i < boxes.length; i++) {
            boxes[i].checked = !known.types.length || known.types.indexOf(boxes[i].value) !== -1;
          }
        }
        show(Boolean(known));
        say(known ? "On for this browser." : "Off for this browser.");
      });
    });
  }

  function turnOn() {
    say("Asking your browser…");
    return Notification.requestPermission().then(function (permission) {
      if (permission !== "granted") throw new Error("Your browser blocks notifications from this site.");
      return registration();
    }).then(function (reg) {
      return reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: keyBytes(settings.vapid_public_key) });
    }).then(function (sub) {
      var json = sub.toJSON();
      return call("POST", api, { endpoint: json.endpoint, keys: json.keys, types: chosenTypes() });
    }).then(refresh);
  }

  function turnOff() {
    say("Turning off…");
    return registration().then(function (reg) { return reg.pushManager.getSubscription(); }).then(function (sub) {
      var known = mine(sub);
      var done = sub ? sub.unsubscribe() : Promise.resolve(true);
      return done.then(function () { return known ? call("DELETE", api + "/" + known.id) : null; });
    }).then(refresh);
  }

  function fail(error) { say(error.message || String(error)); }

  if (!("serviceWorker" in navigator) || !("PushManager" in window) || !("Notification" in window)) {
    say("This browser cannot receive push notifications.");
    show(false);
    if (onButton) onButton.hidden = true;
    return;
  }
  panel.hidden = false;
  if (onButton) onButton.addEventListener("click", function (e) { e.preventDefault(); turnOn().catch(fail); });
  if (offButton) offButton.addEventListener("click", function (e) { e.preventDefault(); turnOff().catch(fail); });
  // Changing the types of an active subscription saves them at once (same endpoint: the server updates it).
  panel.addEventListener("change", function (e) {
    if (!e.target || e.target.name !== "push_types") return;
    registration().then(function (reg) { return reg.pushManager.getSubscription(); }).then(function (sub) {
      if (!mine(sub)) return null;
      var json = sub.toJSON();
      return call("POST", api, { endpoint: json.endpoint, keys: json.keys, types: chosenTypes() }).then(refresh);
    }).catch(fail);
  });
  refresh().catch(fail);
})();
