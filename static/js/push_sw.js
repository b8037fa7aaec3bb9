// The Web Push service worker (served at /push-sw.js so it may show notifications for the whole site). It only
// displays what the server pushed (title, body, link: the payload apps.messaging.services.push encrypts) and
// opens the link, on this site only, when the notification is clicked.
"use strict";

self.addEventListener("install", function () { self.skipWaiting(); });
self.addEventListener("activate", function (event) { event.waitUntil(self.clients.claim()); });

self.addEventListener("push", function (event) {
  var data = {};
  try { data = event.data ? event.data.json() : {}; } catch (e) { data = { body: event.data ? event.data.text() : "" }; }
  var title = data.title || "InsureOps";
  event.waitUntil(self.registration.showNotification(title, {
    body: data.body || "",
    tag: data.id ? "insureops-" + data.id : undefined,
    data: { link: data.link || "/" }
  }));
});

self.addEventListener("notificationclick", function (event) {
  event.notification.close();
  var link = (event.notification.data && event.notification.data.link) || "/";
  var target = new URL(link, self.location.origin);
  if (target.origin !== self.location.origin) target = new URL("/", self.location.origin);
  event.waitUntil(self.clients.matchAll({ type: "window", includeUncontrolled: true }).then(function (windows) {
    for (var i = 0; i < windows.length; i++) {
      if (windows[i].url === target.href && "focus" in windows[i]) return windows[i].focus();
    }
    return self.clients.openWindow(target.href);
  }));
});
