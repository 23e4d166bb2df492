import Artifacts
import Foundation

/// The blind rating page: one self-contained HTML file (inline style and script, no network, works
/// from file://). It shows the samples one at a time in the pack's order, takes two 1-5 ratings
/// and a note for each, keeps progress in the browser's local storage, and exports the ratings as
/// a JSON file that `pipeline eval-report` reads.
///
/// The samples travel as JSON inside a non-executed script element, with `<`, `>` and `&` escaped,
/// and are shown through `textContent`: a sample that contains markup shows as text.
public enum EvalPage {
    /// The format tag an exported ratings file carries.
    public static let ratingsFormat = "rlhf-shakespeare-ratings"

    /// A short fingerprint of a pack's ids and texts: ratings name the pack they belong to.
    public static func packID(ids: [String], texts: [String]) -> String {
        let content = JSON.array(zip(ids, texts).map { .array([.string($0), .string($1)]) }).canonical
        return String(SHA256Hasher.hex(content).prefix(16))
    }

    public static func html(packID: String, items: [(id: String, text: String)]) -> String {
        let pack = JSON.object([("pack_id", .string(packID)),
                                ("items", .array(items.map { .object([("id", .string($0.id)), ("text", .string($0.text))]) }))])
        let embedded = pack.canonical.replacingOccurrences(of: "&", with: "\\u0026")
            .replacingOccurrences(of: "<", with: "\\u003c").replacingOccurrences(of: ">", with: "\\u003e")
        return template.replacingOccurrences(of: "@PACK_JSON@", with: embedded)
            .replacingOccurrences(of: "@RATINGS_FORMAT@", with: ratingsFormat)
    }

    static let template = #"""
    <!DOCTYPE html>
    <html lang="en">
    <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>Blind evaluation of Shakespeare samples</title>
    <style>
    body { font-family: system-ui, sans-serif; margin: 0; background: #f6f5f2; color: #222; }
    main { max-width: 46rem; margin: 0 auto; padding: 1.5rem; }
    h1 { font-size: 1.4rem; margin: 0 0 .5rem; }
    .help { color: #555; font-size: .92rem; line-height: 1.4; }
    #sample-text { background: white; border: 1px solid #ccc; border-radius: 4px; padding: 1rem; min-height: 8rem;
                   white-space: pre-wrap; font-family: Georgia, serif; font-size: 1.05rem; line-height: 1.45; }
    .question { border: 2px solid transparent; border-radius: 4px; margin: .6rem 0; padding: .4rem .6rem; }
    .question.active { border-color: #1f77b4; background: #eef5fb; }
    .question button { width: 2.6rem; height: 2.2rem; margin-right: .3rem; font-size: 1rem; }
    .question button[aria-pressed="true"] { background: #1f77b4; color: white; border-color: #1f77b4; }
    textarea { width: 100%; min-height: 3rem; box-sizing: border-box; }
    nav { display: flex; gap: .5rem; margin-top: .8rem; align-items: center; }
    nav .spacer { flex: 1; }
    #status { min-height: 1.2rem; color: #a33; }
    </style>
    </head>
    <body>
    <main>
    <h1>Blind evaluation</h1>
    <p class="help">Each text was written by one of two language models trained on Shakespeare; you are not told which.
    Rate every text twice from 1 to 5: how <b>positive</b> its sentiment is, and how much <b>sense</b> it makes.
    Keyboard: <kbd>1</kbd>-<kbd>5</kbd> rate the highlighted question (then move to the next one),
    <kbd>&uarr;</kbd> <kbd>&darr;</kbd> switch question, <kbd>&larr;</kbd> <kbd>&rarr;</kbd> previous and next text.
    Your progress is kept in this browser; when you are done, press <b>Export ratings</b> and send the file back.</p>
    <p><label>Your name: <input id="rater" autocomplete="name"></label></p>
    <p id="progress"></p>
    <pre id="sample-text"></pre>
    <div class="question" id="q-positivity" data-question="positivity">
      <div>Positive sentiment (1 = very negative, 3 = neutral, 5 = very positive)</div>
    </div>
    <div class="question" id="q-sense" data-question="sense">
      <div>Makes sense (1 = nonsense, 5 = entirely clear)</div>
    </div>
    <p><label>Notes (optional):<br><textarea id="notes"></textarea></label></p>
    <nav>
      <button id="prev">&larr; Previous</button><button id="next">Next &rarr;</button>
      <span class="spacer"></span><button id="export">Export ratings</button>
    </nav>
    <p id="status" role="status"></p>
    </main>
    <script type="application/json" id="pack">@PACK_JSON@</script>
    <script>
    (function () {
      "use strict";
      var pack = JSON.parse(document.getElementById("pack").textContent);
      var questions = ["positivity", "sense"];
      var storageKey = "rlhf-shakespeare-eval-" + pack.pack_id;
      var state = { rater: "", index: 0, active: "positivity", ratings: {} };
      try {
        var saved = JSON.parse(window.localStorage.getItem(storageKey) || "null");
        if (saved && typeof saved === "object" && saved.ratings) { state = saved; }
      } catch (e) { /* no storage: progress lasts this visit only */ }
      var $ = function (id) { return document.getElementById(id); };

      questions.forEach(function (q) {
        for (var v = 1; v <= 5; v++) {
          var b = document.createElement("button");
          b.textContent = String(v);
          b.dataset.value = String(v);
          b.addEventListener("click", (function (value) { return function () { rate(q, value); }; })(v));
          $("q-" + q).appendChild(b);
        }
        $("q-" + q).addEventListener("click", function () { state.active = q; render(); });
      });

      function save() { try { window.localStorage.setItem(storageKey, JSON.stringify(state)); } catch (e) {} }
      function item() { return pack.items[state.index]; }
      function entry() {
        var id = item().id;
        if (!state.ratings[id]) { state.ratings[id] = { positivity: null, sense: null, notes: "" }; }
        return state.ratings[id];
      }
      function rated() {
        return pack.items.filter(function (it) {
          var r = state.ratings[it.id]; return r && r.positivity && r.sense;
        }).length;
      }
      function render() {
        var e = entry();
        $("sample-text").textContent = item().text;
        $("progress").textContent = "Text " + (state.index + 1) + " of " + pack.items.length + " \u00b7 " + rated() + " fully rated";
        questions.forEach(function (q) {
          $("q-" + q).classList.toggle("active", state.active === q);
          Array.prototype.forEach.call($("q-" + q).querySelectorAll("button"), function (b) {
            b.setAttribute("aria-pressed", String(e[q] === Number(b.dataset.value)));
          });
        });
        $("notes").value = e.notes || "";
        $("rater").value = state.rater || "";
        $("prev").disabled = state.index === 0;
        $("next").disabled = state.index === pack.items.length - 1;
      }
      function rate(q, value) {
        entry()[q] = value;
        state.active = q === "positivity" ? "sense" : q;
        save(); render();
      }
      function go(delta) {
        var next = state.index + delta;
        if (next < 0 || next >= pack.items.length) { return; }
        state.index = next; state.active = "positivity";
        $("status").textContent = "";
        save(); render();
      }
      $("prev").addEventListener("click", function () { go(-1); });
      $("next").addEventListener("click", function () { go(1); });
      $("notes").addEventListener("input", function () { entry().notes = $("notes").value; save(); });
      $("rater").addEventListener("input", function () { state.rater = $("rater").value; save(); });
      document.addEventListener("keydown", function (event) {
        var tag = event.target && event.target.tagName;
        if (tag === "TEXTAREA" || tag === "INPUT") {
          if (event.key === "Escape") { event.target.blur(); }
          return;
        }
        if (event.altKey || event.ctrlKey || event.metaKey) { return; }
        if (event.key >= "1" && event.key <= "5" && event.key.length === 1) { rate(state.active, Number(event.key)); }
        else if (event.key === "ArrowRight") { go(1); }
        else if (event.key === "ArrowLeft") { go(-1); }
        else if (event.key === "ArrowUp" || event.key === "ArrowDown") {
          state.active = state.active === "positivity" ? "sense" : "positivity"; save(); render();
        } else { return; }
        event.preventDefault();
      });
      $("export").addEventListener("click", function () {
        var rater = (state.rater || "").trim();
        if (!rater) { $("status").textContent = "Please enter your name first."; $("rater").focus(); return; }
        var out = {
          format: "@RATINGS_FORMAT@", version: 1, pack_id: pack.pack_id, rater: rater,
          ratings: pack.items.map(function (it) {
            var r = state.ratings[it.id] || {};
            return { id: it.id, positivity: r.positivity || null, sense: r.sense || null, notes: r.notes || "" };
          })
        };
        var blob = new Blob([JSON.stringify(out, null, 1)], { type: "application/json" });
        var a = document.createElement("a");
        a.href = URL.createObjectURL(blob);
        a.download = "ratings-" + rater.replace(/[^A-Za-z0-9_-]+/g, "_") + "-" + pack.pack_id + ".json";
        document.body.appendChild(a); a.click(); a.remove();
        var missing = pack.items.length - rated();
        $("status").textContent = missing ? "Exported; " + missing + " texts are not fully rated yet." : "Exported all ratings. Thank you!";
      });
      render();
    })();
    </script>
    </body>
    </html>

    """#
}
