/* Live status: keeps a block of the page up to date by polling its own URL.

   Markup (templates/partials/live_status.html):
     <section data-live-url="/customer/jobs/7/status/" data-live-interval="10" data-live-closed="false">
       <div data-live-target>…fragment…</div>
       <a data-live-refresh href="…">Refresh</a> <span data-live-note hidden>…</span>
       <p aria-live="polite" data-live-announce></p>
     </section>
   The fragment's root element may carry data-live-closed="true" (stop polling) and
   data-live-summary (the sentence announced to screen readers when the block changes).

   Every `interval` seconds while the tab is visible it fetches the URL with If-None-Match; 304
   means nothing changed. It stops for good when the job is closed, or on 403/404. Without
   JavaScript the "Refresh" link reloads the page. No dependencies. */
(function () {
  "use strict";
  if (!window.fetch || !window.DOMParser) return;

  function start(container) {
    var url = container.getAttribute("data-live-url");
    var target = container.querySelector("[data-live-target]");
    var announcer = container.querySelector("[data-live-announce]");
    var note = container.querySelector("[data-live-note]");
    if (!url || !target) return;
    var base = Math.max(2, parseInt(container.getAttribute("data-live-interval"), 10) || 10) * 1000;
    var delay = base;
    var etag = null;
    var timer = null;
    var busy = false;
    var stopped = container.getAttribute("data-live-closed") === "true";

    function summary(root) {
      var body = root && root.querySelector("[data-live-summary]");
      return body ? body.getAttribute("data-live-summary") : "";
    }

    function closed(root) {
      var body = root && root.querySelector("[data-live-closed]");
      return body ? body.getAttribute("data-live-closed") === "true" : false;
    }

    function stop() {
      stopped = true;
      if (timer) window.clearTimeout(timer);
      timer = null;
      if (note) note.hidden = true;
    }

    function schedule() {
      if (timer) window.clearTimeout(timer);
      timer = null;
      if (!stopped && document.visibilityState === "visible") {
        timer = window.setTimeout(poll, delay);
      }
    }

    function apply(html) {
      var doc = new DOMParser().parseFromString(html, "text/html");
      var before = summary(target);
      target.innerHTML = doc.body.innerHTML;
      var after = summary(target);
      if (announcer && after && after !== before) {
        announcer.textContent = after;
      }
      container.setAttribute("data-live-closed", closed(target) ? "true" : "false");
      if (closed(target)) stop();
    }

    function poll() {
      timer = null;
      if (stopped || busy) return;
      busy = true;
      var headers = { "X-Requested-With": "fetch" };
      if (etag) headers["If-None-Match"] = etag;
      // no-store: the browser must not answer from its cache or add its own validators, so a
      // 304 reaches this code as a 304.
      fetch(url, { credentials: "same-origin", cache: "no-store", headers: headers })
        .then(function (response) {
          if (response.status === 304) return null;
          if (response.status === 403 || response.status === 404) {
            stop();
            return null;
          }
          if (!response.ok) throw new Error("HTTP " + response.status);
          // A redirect to the login page (session expired) is not a fragment.
          if (response.redirected) {
            stop();
            return null;
          }
          etag = response.headers.get("ETag") || etag;
          return response.text();
        })
        .then(function (html) {
          if (html !== null && html !== undefined) apply(html);
          delay = base;
        })
        .catch(function () {
          delay = Math.min(delay * 2, 6 * base); // back off while the network is down
        })
        .then(function () {
          busy = false;
          schedule();
        });
    }

    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "visible") {
        delay = base;
        poll(); // catch up at once when the tab comes back
      } else if (timer) {
        window.clearTimeout(timer);
        timer = null;
      }
    });

    if (!stopped) {
      if (note) note.hidden = false;
      schedule();
    }
  }

  function init() {
    var containers = document.querySelectorAll("[data-live-url]");
    Array.prototype.forEach.call(containers, start);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
