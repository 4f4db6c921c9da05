// Amparo review console: keyboard control. Served by Amparo itself (no CDN), no dependencies.
// Keys: j/k move, o/Enter open, c claim, r reveal, 1-4 decide, u queue, ? help, Esc close.
(function () {
  "use strict";

  function typing(target) {
    var tag = target && target.tagName;
    return tag === "INPUT" || tag === "SELECT" || tag === "TEXTAREA";
  }

  function submit(id) {
    var form = document.getElementById(id);
    if (form) { form.submit(); }
    return Boolean(form);
  }

  function go(id) {
    var link = document.getElementById(id);
    if (link) { window.location.assign(link.href); }
  }

  function rows() {
    return Array.prototype.slice.call(document.querySelectorAll("#items tbody tr"));
  }

  function move(step) {
    var all = rows();
    if (!all.length) { return; }
    var at = all.findIndex(function (r) { return r.classList.contains("selected"); });
    var next = Math.max(0, Math.min(all.length - 1, at + step));
    all.forEach(function (r) { r.classList.remove("selected"); });
    all[next].classList.add("selected");
    all[next].scrollIntoView({ block: "nearest" });
  }

  function selected() {
    return document.querySelector("#items tbody tr.selected");
  }

  function toggleHelp(show) {
    var help = document.getElementById("help");
    if (help) { help.hidden = show === undefined ? !help.hidden : !show; }
  }

  function onQueue(key) {
    var row = selected();
    if (key === "j") { move(1); }
    else if (key === "k") { move(-1); }
    else if ((key === "o" || key === "Enter") && row) { window.location.assign(row.dataset.href); }
    else if (key === "c" && row) {
      var form = document.getElementById("claim-form");
      form.action = row.dataset.href + "/claim";
      form.submit();
    }
  }

  function onItem(key) {
    if (key === "j") { go("next"); }
    else if (key === "k") { go("prev"); }
    else if (key === "u") { go("back"); }
    else if (key === "c") { submit("claim-form"); }
    else if (key === "r") { submit("reveal-form"); }
    else if (key === "1") {
      var category = document.getElementById("category");
      if (category && !category.value) { category.focus(); return; }
      submit("confirm-form");
    }
    else if (key === "2") { submit("fp-entry-form"); }
    else if (key === "3") { submit("fp-allow-form"); }
    else if (key === "4") { submit("escalate-form"); }
  }

  function countdown() {
    var el = document.getElementById("countdown");
    if (!el) { return; }
    var left = parseInt(el.dataset.seconds, 10);
    var timer = window.setInterval(function () {
      left -= 1;
      if (left <= 0) {
        window.clearInterval(timer);
        window.location.assign(document.querySelector(".brand").href);
        return;
      }
      el.textContent = Math.floor(left / 60) + " min " + (left % 60) + " s";
    }, 1000);
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) { return; }
    if (event.key === "Escape") { toggleHelp(false); if (typing(event.target)) { event.target.blur(); } return; }
    if (typing(event.target)) { return; }
    if (event.key === "?") { toggleHelp(); return; }
    var page = document.body.dataset.page;
    if (page === "queue") { onQueue(event.key); }
    else if (page === "item") { onItem(event.key); }
  });

  document.addEventListener("DOMContentLoaded", function () {
    countdown();
    rows().forEach(function (row) {
      row.addEventListener("click", function () {
        rows().forEach(function (r) { r.classList.remove("selected"); });
        row.classList.add("selected");
      });
    });
    var category = document.getElementById("category");
    if (category) {
      category.addEventListener("change", function () { category.blur(); });
    }
  });
}());
