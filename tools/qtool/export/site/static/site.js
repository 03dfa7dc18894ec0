/* qtool site: search and filters on the home page (state kept in the address), and details opened for printing.
   Reads window.QTOOL_INDEX from search-index.js; builds results with DOM calls only (no HTML strings). */
(function () {
  "use strict";

  var opened = [];
  window.addEventListener("beforeprint", function () {
    document.querySelectorAll("details:not([open])").forEach(function (d) { d.open = true; opened.push(d); });
  });
  window.addEventListener("afterprint", function () {
    opened.forEach(function (d) { d.open = false; });
    opened = [];
  });

  var PAGE = 50;
  var FACETS = ["role", "category", "competency", "level", "status"];

  function words(text) {
    return text.toLowerCase().normalize("NFKD").replace(/[\u0300-\u036f]/g, "").split(/[^a-z0-9]+/).filter(Boolean);
  }

  function readState() {
    var raw = location.hash.length > 1 ? location.hash.slice(1) : location.search.slice(1);
    return new URLSearchParams(raw);
  }

  function writeState(params) {
    var text = params.toString();
    var url = location.pathname + location.search + (text ? "#" + text : "");
    try {
      history.replaceState(null, "", url);
    } catch (e) {
      location.replace("#" + text);
    }
  }

  function start() {
    var form = document.getElementById("search");
    var data = window.QTOOL_INDEX;
    if (!form || !data) { return; }
    var input = document.getElementById("q");
    var list = document.getElementById("results");
    var count = document.getElementById("count");
    var more = document.getElementById("more");
    var selects = {};
    FACETS.forEach(function (key) { selects[key] = document.getElementById("f-" + key); });
    var haystacks = null;
    var shown = PAGE;
    var matches = [];

    function haystack(i) {
      if (haystacks === null) {
        haystacks = data.q.map(function (row) { return " " + words(row[2] + " " + row[1]).join(" "); });
      }
      return haystacks[i];
    }

    function wanted() {
      var want = {};
      FACETS.forEach(function (key) {
        var value = selects[key].value;
        if (!value) { want[key] = -1; return; }
        var position = key === "level" && value === "none" ? 0 : data[key].indexOf(value);
        want[key] = position < 0 ? -2 : position;
      });
      return want;
    }

    function run() {
      var terms = words(input.value);
      var want = wanted();
      matches = [];
      for (var i = 0; i < data.q.length; i++) {
        var row = data.q[i];
        if (want.role >= 0 && row[3] !== want.role) { continue; }
        if (want.category >= 0 && row[4] !== want.category) { continue; }
        if (want.level >= 0 && row[5] !== want.level) { continue; }
        if (want.status >= 0 && row[6] !== want.status) { continue; }
        if (want.competency >= 0 && row[7].indexOf(want.competency) < 0) { continue; }
        if (want.role === -2 || want.category === -2 || want.level === -2 || want.status === -2 || want.competency === -2) { continue; }
        var text = terms.length ? haystack(i) : "";
        var ok = true;
        for (var t = 0; t < terms.length && ok; t++) { ok = text.indexOf(" " + terms[t]) >= 0; }
        if (ok) { matches.push(i); }
      }
      shown = PAGE;
      draw();
    }

    function draw() {
      while (list.firstChild) { list.removeChild(list.firstChild); }
      var total = data.q.length;
      count.textContent = matches.length === total
        ? total + " questions"
        : matches.length + " of " + total + " questions match";
      matches.slice(0, shown).forEach(function (i) {
        var row = data.q[i];
        var item = document.createElement("li");
        var link = document.createElement("a");
        link.href = data.dirs[row[0]] + "/" + row[1] + "/index.html";
        link.textContent = row[2];
        var meta = document.createElement("span");
        meta.className = "meta";
        var parts = [optionName("role", row[3]), optionName("category", row[4])];
        if (row[5] > 0) { parts.push(data.level[row[5]]); }
        if (data.status[row[6]] !== "reviewed") { parts.push(data.status[row[6]]); }
        meta.textContent = parts.join(" · ");
        item.appendChild(link);
        item.appendChild(meta);
        list.appendChild(item);
      });
      more.hidden = matches.length <= shown;
    }

    function optionName(key, position) {
      var slug = data[key][position];
      var options = selects[key].options;
      for (var o = 0; o < options.length; o++) {
        if (options[o].value === slug) { return options[o].textContent; }
      }
      return slug;
    }

    function save() {
      var params = new URLSearchParams();
      if (input.value) { params.set("q", input.value); }
      FACETS.forEach(function (key) { if (selects[key].value) { params.set(key, selects[key].value); } });
      writeState(params);
    }

    function load() {
      var params = readState();
      input.value = params.get("q") || "";
      FACETS.forEach(function (key) {
        var value = params.get(key) || "";
        var select = selects[key];
        select.value = value;
        if (select.value !== value) { select.value = ""; }
      });
      run();
      fulltext();
    }

    // Full-text search over the answers, when the site was indexed by Pagefind and is served over
    // http(s) (browsers refuse module imports from file://, so the small index above is all there is).
    var full = document.getElementById("fulltext");
    var bundle = null;
    var asked = 0;

    function fulltext() {
      if (!full) { return; }
      var query = input.value.trim();
      var ticket = ++asked;
      if (query.length < 2 || location.protocol === "file:") { full.hidden = true; return; }
      if (bundle === null) {
        var url = new URL(full.getAttribute("data-bundle") + "pagefind.js", location.href).href;
        bundle = import(url).then(function (pagefind) {
          return pagefind.options({ baseUrl: new URL("./", location.href).pathname }).then(function () { return pagefind; });
        });
      }
      bundle.then(function (pagefind) { return pagefind.search(query); })
        .then(function (search) {
          return Promise.all(search.results.slice(0, 20).map(function (result) { return result.data(); }))
            .then(function (found) { return { total: search.results.length, found: found }; });
        })
        .then(function (answer) { if (ticket === asked) { drawFulltext(answer.total, answer.found); } })
        .catch(function () { if (ticket === asked) { full.hidden = true; } });
    }

    function drawFulltext(total, found) {
      var list = document.getElementById("fulltext-results");
      while (list.firstChild) { list.removeChild(list.firstChild); }
      document.getElementById("fulltext-count").textContent = total === 0
        ? "No page has these words."
        : total + (total === 1 ? " page has" : " pages have") + " these words" + (total > found.length ? "; the first " + found.length + ":" : ":");
      found.forEach(function (page) {
        var item = document.createElement("li");
        var link = document.createElement("a");
        link.href = page.url;
        link.textContent = (page.meta && page.meta.title) || page.url;
        item.appendChild(link);
        item.appendChild(excerpt(page.excerpt || ""));
        list.appendChild(item);
      });
      full.hidden = false;
    }

    // Pagefind's excerpt is escaped text with <mark> around the words found: parsed in an inert
    // document and copied as text nodes and <mark> elements, never inserted as HTML.
    function excerpt(html) {
      var meta = document.createElement("span");
      meta.className = "meta excerpt";
      var parsed = new DOMParser().parseFromString("<body>" + html, "text/html").body;
      parsed.childNodes.forEach(function (node) {
        if (node.nodeName === "MARK") {
          var mark = document.createElement("mark");
          mark.textContent = node.textContent;
          meta.appendChild(mark);
        } else {
          meta.appendChild(document.createTextNode(node.textContent));
        }
      });
      return meta;
    }

    form.addEventListener("submit", function (event) { event.preventDefault(); });
    input.addEventListener("input", function () { run(); save(); fulltext(); });
    FACETS.forEach(function (key) {
      selects[key].addEventListener("change", function () { run(); save(); });
    });
    form.addEventListener("reset", function () {
      setTimeout(function () { run(); save(); }, 0);
    });
    more.addEventListener("click", function () { shown += PAGE; draw(); });
    window.addEventListener("hashchange", load);
    load();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
}());
