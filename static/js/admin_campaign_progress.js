// Live send progress on the campaign page: poll the progress fragment every 3 s while the campaign is sending.
(function () {
  function poll(box) {
    fetch(box.dataset.campaignProgress, { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (html === null) return;
        box.innerHTML = html;
        if (html.indexOf("updating live") !== -1) setTimeout(function () { poll(box); }, 3000);
      });
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-campaign-progress]").forEach(function (box) {
      if (box.textContent.indexOf("updating live") !== -1) setTimeout(function () { poll(box); }, 3000);
    });
  });
})();
