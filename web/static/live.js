// Live updates without a build step: every few seconds, sections marked data-live are re-read
// from the same page on the server and swapped in place (paused while the tab is hidden).
(function () {
  "use strict";
  var seconds = parseFloat(document.body.dataset.refresh || "0");
  var sections = document.querySelectorAll("[data-live][id]");
  if (!seconds || !sections.length) { return; }
  function refresh() {
    if (document.hidden) { return; }
    fetch(window.location.href, { headers: { "X-Live": "1" }, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (!html) { return; }
        var fresh = new DOMParser().parseFromString(html, "text/html");
        sections.forEach(function (section) {
          var update = fresh.getElementById(section.id);
          if (update && !section.contains(document.activeElement)) { section.innerHTML = update.innerHTML; }
        });
      })
      .catch(function () { /* the next tick tries again */ });
  }
  window.setInterval(refresh, seconds * 1000);
})();
