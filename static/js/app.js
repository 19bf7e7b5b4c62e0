/* Crisis Room front end. The war room's live parts ride on htmx's websocket
 * extension: server messages are JSON ({type, ..., html}); the "crisis-json"
 * extension hands htmx the html (out-of-band swaps of the page's own partials)
 * and announces the parsed message as a "crisis:message" event first.
 * Everything here is progressive: without JavaScript the pages still read. */
(function () {
  "use strict";

  var FEED_MOST = 500;          // items kept in the feed; older ones are a reload away
  var CHART_EVERY_MS = 5000;    // at most one chart refresh per 5 s
  var HEARTBEAT_MS = 30000;     // keeps "who is in the room" honest

  function ready(fn) {
    if (document.readyState !== "loading") fn(); else document.addEventListener("DOMContentLoaded", fn);
  }

  ready(function () {
    if (!window.htmx) return;
    htmx.defineExtension("crisis-json", {
      transformResponse: function (text, xhr) {
        if (xhr) return text; // only websocket messages arrive without an XHR
        var message;
        try { message = JSON.parse(text); } catch (e) { return text; }
        document.dispatchEvent(new CustomEvent("crisis:message", { detail: message }));
        return message.html || "";
      }
    });
    document.addEventListener("crisis:message", function (evt) {
      var live = document.querySelector("[ws-connect]");
      if (live && evt.detail.type === "hello") live.dataset.connected = "true";
    });
    document.body.addEventListener("htmx:wsClose", function (evt) {
      if (evt.target && evt.target.dataset) evt.target.dataset.connected = "false";
    });
    var room = document.querySelector(".war-room");
    if (room) { warRoom(room); return; }
    var live = document.querySelector("[ws-connect]");
    if (!live) return;
    if (live.dataset.liveUrl) {
      // The dashboard: its live part, exactly as a fresh load shows it.
      liveConnection(live, function () {
        return htmx.ajax("GET", live.dataset.liveUrl, { target: live.dataset.liveTarget, swap: "outerHTML" });
      });
    } else {
      // Pages with a form that may be half typed (playbook, statement): say the page
      // may be out of date and offer a reload, rather than replacing what is typed.
      liveConnection(live, function (banner) {
        banner.textContent = banner.dataset.stale + " ";
        var button = document.createElement("button");
        button.type = "button";
        button.className = "link-button";
        button.textContent = banner.dataset.reload;
        button.addEventListener("click", function () { window.location.reload(); });
        banner.appendChild(button);
        banner.hidden = false;
        return Promise.resolve(true);  // keep the banner until the person reloads
      });
    }
  });

  /* The connection of a live page: a banner, reconnects, and a catch-up after any
   * outage. The server pings itself through the channel layer and sends a heartbeat
   * when that works. Heartbeats stop while the layer (Redis) is down and events are
   * being dropped: after missedMs of silence the page says so and calls catchUp
   * every missedMs until they come back (then once more). catchUp(banner) returns a
   * promise; resolving to true keeps the banner shown. */
  function liveConnection(root, catchUp) {
    var banner = document.getElementById("connection-banner");
    var conn = { socket: null, resyncing: false, again: false, resync: resync };
    var lost = false;
    var beatMs = 0, missedMs = 0, lastBeat = Date.now(), silent = false;
    function resync() {
      if (conn.resyncing) { conn.again = true; return; }
      conn.resyncing = true;
      catchUp(banner).then(function (keep) {
        conn.resyncing = false;
        if (conn.again) { conn.again = false; resync(); return; }
        if (keep !== true) setTimeout(function () { if (!lost && !silent) banner.hidden = true; }, 1500);
      }, function () { conn.resyncing = false; silent = true; /* the next heartbeat tries again */ });
    }
    root.addEventListener("htmx:wsOpen", function (evt) {
      conn.socket = evt.detail.socketWrapper;
      root.classList.remove("offline");
      lastBeat = Date.now();
      if (!lost) return;
      lost = false;
      banner.textContent = banner.dataset.back;
      resync();
    });
    document.addEventListener("crisis:message", function (evt) {
      var m = evt.detail;
      if (m.type === "hello" && m.heartbeat) {
        beatMs = m.heartbeat * 1000;
        missedMs = (m.heartbeat_missed || 3 * m.heartbeat) * 1000;
      }
      if (m.type === "heartbeat" || m.type === "hello") {
        lastBeat = Date.now();
        if (silent) {
          silent = false;
          root.classList.remove("offline");
          banner.textContent = banner.dataset.back;
          resync();
        }
      }
      if (m.type === "resync") resync();
      // An event pushed while a resync is in flight may be wiped by its swap (the
      // answer was rendered before the event): fetch once more after it.
      if (conn.resyncing && ["hello", "heartbeat", "pong", "resync", "presence"].indexOf(m.type) < 0) {
        conn.again = true;
      }
    });
    setInterval(function () {
      if (!missedMs || root.dataset.connected !== "true") return;
      var quiet = Date.now() - lastBeat;
      if (quiet > missedMs) {
        lastBeat = Date.now() - quiet + missedMs;  // next catch-up after missedMs more
        if (!silent) {
          silent = true;
          banner.textContent = banner.dataset.lost;
          banner.hidden = false;
          root.classList.add("offline");
        }
        resync();
      }
    }, 1000);
    root.addEventListener("htmx:wsClose", function (evt) {
      var code = evt.detail.event.code;
      root.dataset.connected = "false";
      if (code === 4403 || code === 4404) return;
      lost = true;
      banner.textContent = banner.dataset.lost;
      banner.hidden = false;
      root.classList.add("offline");
      // The extension retries abnormal closures itself; a clean close (a server
      // restart says "going away") is retried here.
      if ([1006, 1011, 1012, 1013].indexOf(code) < 0 && evt.detail.socketWrapper) {
        setTimeout(function () { evt.detail.socketWrapper.reconnect(); }, 1000);
      }
    });
    return conn;
  }

  function warRoom(room) {
    var heldCount = 0;
    var before = null;
    var chart = null;
    var chartTimer = null;
    var lastChart = 0;

    function feed() { return document.getElementById("feed-items"); }
    function pill() { return document.getElementById("new-mentions"); }

    // --- connection: banner, reconnect, resync ---------------------------------
    // Whatever happened while we were away, exactly as a fresh load shows it.
    var conn = liveConnection(room, function () {
      return htmx.ajax("GET", room.dataset.liveUrl, { target: "#live", swap: "outerHTML" }).then(function () {
        room.dataset.resyncs = String(Number(room.dataset.resyncs || "0") + 1);
        afterResync();
      });
    });
    setInterval(function () {
      if (conn.socket && room.dataset.connected === "true") conn.socket.send(JSON.stringify({ type: "ping" }), room);
    }, HEARTBEAT_MS);

    // --- messages ----------------------------------------------------------------
    document.addEventListener("crisis:message", function (evt) {
      var type = evt.detail.type;
      if (type === "hello") room.dataset.connected = "true";
      if (type === "mentions.new") {
        var list = feed();
        before = list ? { top: list.scrollTop, height: list.scrollHeight } : null;
      }
      if (type === "chat.new" && evt.detail.mentioned.indexOf(room.dataset.me) >= 0 && document.hidden) {
        document.title = "● " + document.title.replace(/^● /, "");
      }
    });
    // A push that lands just after a resync already showed its event: keep one.
    function dedupe(list) {
      if (!list) return;
      var seen = {};
      Array.prototype.slice.call(list.children).forEach(function (item) {
        if (!item.id) return;
        if (seen[item.id]) { item.remove(); return; }
        seen[item.id] = true;
      });
    }
    room.addEventListener("htmx:wsAfterMessage", function () {
      dedupe(document.getElementById("timeline"));
      dedupe(document.getElementById("chat"));
      var list = feed();
      if (!list) return;
      tidyFeed(list);
      if (before) {
        var added = list.scrollHeight - before.height;
        // Someone reading further down keeps their place; new items wait above.
        if (before.top > 40 && added > 0) {
          list.scrollTop = before.top + added;
          heldCount += 1;
          showPill();
        }
        before = null;
        refreshChartSoon();
      }
      var chat = document.getElementById("chat");
      if (chat) {
        var empty = chat.querySelector(".empty");
        if (empty && chat.children.length > 1) empty.remove();
        chat.scrollTop = chat.scrollHeight;
      }
    });
    document.addEventListener("visibilitychange", function () {
      if (!document.hidden) document.title = document.title.replace(/^● /, "");
    });

    function tidyFeed(list) {
      var empty = list.querySelector(".empty");
      if (empty && list.children.length > 1) empty.remove();
      var seen = {};
      Array.prototype.slice.call(list.children).forEach(function (item) {
        if (!item.id) return;
        if (seen[item.id]) { item.remove(); return; } // already shown (a resync raced a push)
        seen[item.id] = true;
      });
      while (list.children.length > FEED_MOST) list.lastElementChild.remove();
      applyFilters();
    }

    function showPill() {
      var button = pill();
      if (!button) return;
      button.textContent = button.dataset.template.replace("{n}", heldCount);
      button.hidden = false;
    }

    document.addEventListener("click", function (evt) {
      if (evt.target && evt.target.id === "new-mentions") {
        feed().scrollTop = 0;
        heldCount = 0;
        evt.target.hidden = true;
        feed().focus();
      }
    });
    document.addEventListener("scroll", function (evt) {
      if (evt.target && evt.target.id === "feed-items" && evt.target.scrollTop < 10 && heldCount) {
        heldCount = 0;
        pill().hidden = true;
      }
    }, true);

    // --- filters (also for items that arrive later) ---------------------------------
    function applyFilters() {
      var sentiment = (document.getElementById("filter-sentiment") || {}).value || "";
      var platform = (document.getElementById("filter-platform") || {}).value || "";
      // "Unanswered, negative, high reach": what still needs an answer from the team.
      var open = document.getElementById("filter-unanswered");
      var highReach = open && open.checked ? Number(open.dataset.highReach || 0) : -1;
      var list = feed();
      if (!list) return;
      Array.prototype.forEach.call(list.querySelectorAll("li.mention"), function (item) {
        item.hidden = (sentiment && item.dataset.sentiment !== sentiment) ||
                      (platform && item.dataset.platform !== platform) ||
                      (highReach >= 0 && (item.dataset.sentiment !== "negative" ||
                        Number(item.dataset.reach || 0) < highReach ||
                        !!item.querySelector(".answered")));
      });
    }
    document.addEventListener("change", function (evt) {
      if (evt.target && /^filter-/.test(evt.target.id)) applyFilters();
    });

    // --- next public update: the server renders it (and pushes cadence.updated when
    // a statement goes out); between pushes the minutes count down here.
    function tickCadence() {
      var box = document.getElementById("update-cadence");
      if (!box || !box.dataset.due) return;
      var due = box.querySelector(".cadence-due");
      var seconds = (Date.parse(box.dataset.due) - Date.now()) / 1000;
      var overdue = seconds <= 0;
      var n = overdue ? Math.floor(-seconds / 60) : Math.ceil(seconds / 60);
      if (due) due.textContent = (overdue ? box.dataset.overdue : box.dataset.dueIn).replace("{n}", n);
      box.classList.toggle("overdue", overdue);
    }
    setInterval(tickCadence, 15000);

    // --- response targets: the server decides met/missed (and pushes the panel again
    // on every event that can decide one); here each running timer counts by the
    // second and turns red the moment it passes.
    function clock(seconds) {
      var s = Math.floor(Math.abs(seconds)), h = Math.floor(s / 3600), m = Math.floor(s / 60) % 60;
      var rest = ("0" + (s % 60)).slice(-2);
      return h ? h + ":" + ("0" + m).slice(-2) + ":" + rest : m + ":" + rest;
    }
    function tickTargets() {
      var box = document.getElementById("response-targets");
      if (!box) return;
      Array.prototype.forEach.call(box.querySelectorAll("li.target[data-due]"), function (row) {
        var seconds = (Date.parse(row.dataset.due) - Date.now()) / 1000;
        var late = seconds <= 0;
        var out = row.querySelector(".countdown");
        if (out) out.textContent = (late ? box.dataset.late : box.dataset.dueIn).replace("{t}", clock(seconds));
        if (late) row.classList.add("missed");
      });
    }
    tickTargets();
    setInterval(tickTargets, 1000);
    document.addEventListener("htmx:oobAfterSwap", tickTargets);

    // --- chat ------------------------------------------------------------------------
    document.addEventListener("htmx:afterRequest", function (evt) {
      var form = evt.detail.elt;
      if (form && form.classList && evt.detail.successful &&
          (form.classList.contains("chat-form") || form.classList.contains("note-form"))) form.reset();
    });

    // --- chart: the chosen range (buttons, no reload), refreshed as mentions arrive ---
    var chartRange = "incident";
    function refreshChartSoon() {
      if (chartTimer) return;
      var wait = Math.max(0, lastChart + CHART_EVERY_MS - Date.now());
      chartTimer = setTimeout(function () { chartTimer = null; loadChart(); }, wait);
    }
    function loadChart() {
      var box = document.getElementById("volume-chart");
      if (!box || !window.uPlot || !window.CrisisCharts) return;
      lastChart = Date.now();
      var asked = chartRange;
      markRange();
      fetch(room.dataset.seriesUrl + "?range=" + encodeURIComponent(asked), { credentials: "same-origin" })
        .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
        .then(function (s) { if (asked === chartRange) drawChart(box, s); })
        .catch(function () { /* the next update tries again */ });
    }
    function drawChart(box, s) {
      if (!chart || chart.box !== box || !box.firstChild) {
        var card = box.closest("section");
        chart = CrisisCharts.timeChart(box, s, {
          band: true, markers: true,
          summary: card.querySelector(".chart-summary"),
          markerList: card.querySelector(".chart-markers"),
          table: card.querySelector(".chart-table-body")
        });
        chart.box = box;
      } else {
        chart.update(s);
      }
      box.dataset.range = s.range;
      box.dataset.points = String(s.t.length);
    }
    function markRange() {
      Array.prototype.forEach.call(document.querySelectorAll("[data-chart-range]"), function (button) {
        button.setAttribute("aria-pressed", button.dataset.chartRange === chartRange ? "true" : "false");
      });
    }
    document.addEventListener("click", function (evt) {
      var button = evt.target && evt.target.closest && evt.target.closest("[data-chart-range]");
      if (!button) return;
      chartRange = button.dataset.chartRange;
      loadChart();
    });

    function afterResync() {
      chart = null;
      heldCount = 0;
      applyFilters();
      loadChart();
    }
    loadChart();
  }
})();

// Stacked tables on phones: each cell carries its column's name (table.stack in app.css).
(function () {
  function labelCells(root) {
    (root.querySelectorAll ? root : document).querySelectorAll("table.stack").forEach(function (table) {
      var heads = Array.prototype.map.call(table.querySelectorAll("thead th"), function (th) {
        return th.textContent.trim();
      });
      if (!heads.length) return;
      table.querySelectorAll("tbody tr").forEach(function (tr) {
        Array.prototype.forEach.call(tr.children, function (cell, i) {
          if (cell.tagName === "TD" && heads[i] && !cell.hasAttribute("data-label")) {
            cell.setAttribute("data-label", heads[i]);
          }
        });
      });
    });
  }
  document.addEventListener("DOMContentLoaded", function () { labelCells(document); });
  document.addEventListener("htmx:afterSettle", function () { labelCells(document); });
})();
