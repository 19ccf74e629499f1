import Eventide
/// The dashboard's script and style sheet, served from its own routes (the
/// Content-Security-Policy allows no inline script or style, and nothing from elsewhere).
enum DashboardAssets {
    /// Polls `counts.json` every 2 seconds: updates the in-process counters in place, and
    /// when the snapshot's version differs from the page's (a task changed state, an
    /// in-process task started or ended) fetches the page again and swaps its `<main>`.
    /// Asks before a delete.
    static let script = """
        "use strict";
        (function () {
          var countsURL = document.documentElement.getAttribute("data-counts");
          var live = document.getElementById("live");
          var busy = false;
          function status(text, ok) {
            if (!live) return;
            live.textContent = text;
            live.className = ok ? "live" : "live offline";
          }
          function swap() {
            return fetch(location.href, { credentials: "same-origin", cache: "no-store" })
              .then(function (response) {
                if (!response.ok) throw new Error("HTTP " + response.status);
                return response.text();
              })
              .then(function (html) {
                var fresh = new DOMParser().parseFromString(html, "text/html").querySelector("main");
                var current = document.querySelector("main");
                if (fresh && current) current.replaceWith(document.importNode(fresh, true));
              });
          }
          function poll() {
            if (busy || document.visibilityState === "hidden") return;
            busy = true;
            fetch(countsURL, { credentials: "same-origin", cache: "no-store" })
              .then(function (response) {
                if (!response.ok) throw new Error("HTTP " + response.status);
                return response.json();
              })
              .then(function (snapshot) {
                Object.keys(snapshot.inProcess).forEach(function (name) {
                  var cell = document.getElementById("in-process-" + name);
                  if (cell) cell.textContent = String(snapshot.inProcess[name]);
                });
                var main = document.querySelector("main");
                var changed = main && main.getAttribute("data-version") !== snapshot.version;
                status("live " + new Date(snapshot.time).toLocaleTimeString(), true);
                return changed ? swap() : null;
              })
              .catch(function (error) { status("offline (" + error.message + ")", false); })
              .then(function () { busy = false; });
          }
          document.addEventListener("submit", function (event) {
            var message = event.target.getAttribute("data-confirm");
            if (message && !window.confirm(message)) event.preventDefault();
          });
          setInterval(poll, 2000);
          poll();
        })();

        """

    static let styleSheet = """
        :root { color-scheme: light dark; --muted: #6b7280; --line: #d1d5db; --accent: #2563eb; }
        body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0 auto; max-width: 1400px; padding: 0 1.5rem 3rem; }
        header { display: flex; align-items: baseline; gap: 1rem; border-bottom: 1px solid var(--line); }
        header h1 { font-size: 1.3rem; } header a { color: inherit; text-decoration: none; }
        .live { color: #15803d; font-size: 0.85rem; } .live.offline { color: #b91c1c; }
        h2 { font-size: 1.1rem; margin-top: 1.8rem; } h3 { font-size: 1rem; margin-top: 1.4rem; } h3 small { color: var(--muted); font-weight: normal; }
        table { border-collapse: collapse; width: 100%; margin: 0.5rem 0; }
        th, td { border-bottom: 1px solid var(--line); padding: 0.3rem 0.5rem; text-align: left; vertical-align: top; }
        #counts td, #counts thead th { text-align: right; font-variant-numeric: tabular-nums; }
        #counts thead th:first-child { text-align: left; }
        code, pre { font: 12px/1.4 ui-monospace, SFMono-Regular, Menlo, monospace; white-space: pre-wrap; word-break: break-all; margin: 0; }
        pre.arguments { background: rgba(127, 127, 127, 0.12); padding: 0.6rem; border-radius: 4px; }
        .counters { display: flex; flex-wrap: wrap; gap: 1.2rem; list-style: none; padding: 0; }
        .counters .count { font-size: 1.2rem; font-weight: 600; font-variant-numeric: tabular-nums; }
        .state { padding: 0.05rem 0.45rem; border-radius: 999px; font-size: 0.8rem; background: rgba(127, 127, 127, 0.2); }
        .state-running, .state-available { background: #dbeafe; color: #1e40af; }
        .state-completed { background: #dcfce7; color: #166534; }
        .state-discarded, .state-retryable { background: #fee2e2; color: #991b1b; }
        .state-cancelled, .state-scheduled, .state-pending { background: #f3f4f6; color: #374151; }
        .actions { display: flex; gap: 0.3rem; } .actions form { margin: 0; }
        button { font: inherit; font-size: 0.8rem; padding: 0.15rem 0.6rem; border: 1px solid var(--line); border-radius: 4px; cursor: pointer; background: transparent; color: inherit; }
        button.retry { border-color: var(--accent); color: var(--accent); } button.delete { border-color: #b91c1c; color: #b91c1c; }
        dl { display: grid; grid-template-columns: max-content 1fr; gap: 0.2rem 1rem; } dt { color: var(--muted); } dd { margin: 0; }
        .empty, .filter { color: var(--muted); }

        """
}
