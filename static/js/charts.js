/* Crisis Room charts: one uPlot time chart (mentions per bucket, the negative share,
 * optionally the detector's expected band and markers) used by the war room and
 * the explorer, with its text alternative (a summary sentence, the markers as a
 * list, a table). Times are in the viewer's zone (data-time-zone) and language
 * (<html lang>); numbers are formatted per locale. Labels come from data-*
 * attributes the server translated. */
(function () {
  "use strict";

  var ZH_NAMES = {
    MMMM: ["一月", "二月", "三月", "四月", "五月", "六月", "七月", "八月", "九月", "十月", "十一月", "十二月"],
    MMM: ["1月", "2月", "3月", "4月", "5月", "6月", "7月", "8月", "9月", "10月", "11月", "12月"],
    WWWW: ["星期日", "星期一", "星期二", "星期三", "星期四", "星期五", "星期六"],
    WWW: ["週日", "週一", "週二", "週三", "週四", "週五", "週六"]
  };
  var COLORS = { count: "#0b5cad", share: "#b00020", band: "rgba(110,118,129,0.28)", expected: "#6e7681",
                 upper: "#8a5a00", alert: "#b00020", statement: "#1b6e3a" };
  var GLYPHS = { alert: "!", statement: "✓" };

  function locale() {
    var lang = (document.documentElement.lang || "en");
    return /^zh/i.test(lang) ? "zh-Hant" : lang;
  }
  function isZh() { return locale() === "zh-Hant"; }
  function zone(tz) {
    try { new Intl.DateTimeFormat("en", { timeZone: tz }); return tz; } catch (e) { return "UTC"; }
  }
  function number(v, digits) {
    if (v === null || v === undefined) return "–";
    return new Intl.NumberFormat(locale(), { maximumFractionDigits: digits || 0 }).format(v);
  }
  function percent(v) {
    if (v === null || v === undefined) return "–";
    return new Intl.NumberFormat(locale(), { style: "percent", maximumFractionDigits: 0 }).format(v);
  }
  function when(ts, tz, withDay) {
    var opts = { timeZone: zone(tz), hour: "2-digit", minute: "2-digit", hourCycle: "h23" };
    if (withDay !== false) { opts.month = "short"; opts.day = "numeric"; }
    return new Intl.DateTimeFormat(locale(), opts).format(new Date(ts * 1000));
  }
  function fill(template, values) {
    return (template || "").replace(/\{(\w+)\}/g, function (m, k) { return k in values ? values[k] : m; });
  }

  // uPlot's time-axis table: [tick size, format, year, month, day, hour, minute, second, mode].
  // Formats go through fmtDate with the page's month and weekday names.
  function timeAxisValues() {
    var zh = isZh();
    var day = zh ? "{M}月{D}日" : "{MMM} {D}";
    var year = zh ? "{YYYY}年" : "{YYYY}";
    return [
      [3600 * 24 * 365, year, null, null, null, null, null, null, 1],
      [3600 * 24 * 28, "{MMM}", "\n" + year, null, null, null, null, null, 1],
      [3600 * 24, day, "\n" + year, null, null, null, null, null, 1],
      [3600, "{HH}:{mm}", "\n" + day, null, "\n" + day, null, null, null, 1],
      [60, "{HH}:{mm}", "\n" + day, null, "\n" + day, null, null, null, 1],
      [1, "{HH}:{mm}:{ss}", "\n" + day, null, "\n" + day, null, null, null, 1]
    ];
  }

  function columns(s, band) {
    var data = [s.t];
    if (band) { data.push(s.expected, s.upper); }
    data.push(s.count, s.negative_share);
    return data;
  }

  function markersPlugin(state) {
    return {
      hooks: {
        draw: [function (u) {
          var ctx = u.ctx, top = u.bbox.top, height = u.bbox.height;
          var px = window.devicePixelRatio || 1;
          ctx.save();
          (state.markers || []).forEach(function (m) {
            var x = Math.round(u.valToPos(m.t, "x", true));
            if (x < u.bbox.left || x > u.bbox.left + u.bbox.width) return;
            ctx.strokeStyle = COLORS[m.kind];
            ctx.lineWidth = 2 * px;
            ctx.setLineDash(m.kind === "alert" ? [6 * px, 4 * px] : []);
            ctx.beginPath(); ctx.moveTo(x, top); ctx.lineTo(x, top + height); ctx.stroke();
            ctx.setLineDash([]);
            ctx.fillStyle = COLORS[m.kind];
            ctx.beginPath(); ctx.arc(x, top + 9 * px, 8 * px, 0, 2 * Math.PI); ctx.fill();
            ctx.fillStyle = "#fff";
            ctx.font = "bold " + 11 * px + "px system-ui, sans-serif";
            ctx.textAlign = "center"; ctx.textBaseline = "middle";
            ctx.fillText(GLYPHS[m.kind], x, top + 9.5 * px);
          });
          ctx.restore();
        }]
      }
    };
  }

  /* A chart in box; returns {update(series), resize()}. options: band (the detector's
   * expected band and alert line), markers (draw them), summary/markerList/table:
   * elements for the text alternative. */
  function timeChart(box, s, options) {
    options = options || {};
    var d = box.dataset;
    var tz = zone(d.timeZone || "UTC");
    var state = { markers: [], series: s };
    var band = !!options.band;
    var chart = null;

    function size() {
      var width = Math.max(260, box.clientWidth);
      return { width: width, height: width < 500 ? 200 : 240 };
    }
    function build(s) {
      var series = [{ label: d.labelTime, value: function (u, v) { return v == null ? "–" : when(v, tz); } }];
      if (band) {
        series.push({ label: d.labelExpected, scale: "n", stroke: COLORS.expected, width: 1, dash: [4, 4],
                      value: function (u, v) { return number(v, 1); } });
        series.push({ label: d.labelUpper, scale: "n", stroke: COLORS.upper, width: 1, dash: [2, 3],
                      value: function (u, v) { return number(v, 1); } });
      }
      series.push({ label: d.labelCount, scale: "n", stroke: COLORS.count, width: 2, fill: "rgba(11,92,173,0.08)",
                    value: function (u, v) { return number(v); } });
      series.push({ label: d.labelShare, scale: "pct", stroke: COLORS.share, width: 1.5,
                    value: function (u, v) { return percent(v); } });
      var dims = size();
      var names = isZh() ? ZH_NAMES : null;
      chart = new uPlot({
        width: dims.width,
        height: dims.height,
        tzDate: function (ts) { return uPlot.tzDate(new Date(ts * 1e3), tz); },
        fmtDate: function (tpl) { return names ? uPlot.fmtDate(tpl, names) : uPlot.fmtDate(tpl); },
        series: series,
        bands: band ? [{ series: [2, 1], fill: COLORS.band }] : [],
        scales: {
          x: { time: true },
          n: { range: function (u, min, max) { return [0, Math.max(4, Math.ceil((max || 0) * 1.1))]; } },
          pct: { range: [0, 1] }
        },
        axes: [
          { values: timeAxisValues(), space: 60 },
          { scale: "n", size: 48, values: function (u, splits) { return splits.map(function (v) { return number(v); }); } },
          { scale: "pct", side: 1, size: 50, grid: { show: false }, stroke: COLORS.share,
            values: function (u, splits) { return splits.map(function (v) { return percent(v); }); } }
        ],
        plugins: options.markers ? [markersPlugin(state)] : []
      }, columns(s, band), box);
    }
    function update(s) {
      state.series = s;
      state.markers = options.markers ? (s.markers || []) : [];
      if (!chart || chart.root.parentNode !== box) { box.innerHTML = ""; build(s); }
      else chart.setData(columns(s, band));
      describe(s);
    }
    function describe(s) {
      var total = 0, peak = 0, peakAt = null, negative = 0, scored = 0;
      s.count.forEach(function (c, i) {
        total += c;
        if (c > peak) { peak = c; peakAt = s.t[i]; }
        if (s.negative_share[i] !== null) { negative += s.negative_share[i] * c; scored += c; }
      });
      var sentence = total ? fill(d.summary, {
        total: number(total), peak: number(peak), peak_at: when(peakAt, tz),
        share: percent(scored ? negative / scored : null),
        from: when(s.t[0], tz), to: when(s.t[s.t.length - 1], tz)
      }) : fill(d.summaryEmpty, { from: when(s.t[0], tz), to: when(s.t[s.t.length - 1], tz) });
      box.setAttribute("aria-label", sentence);
      if (options.summary) options.summary.textContent = sentence;
      if (options.markerList) listMarkers(s);
      if (options.table) tabulate(s);
    }
    function perBucketAround(s, t, before) {
      // mean mentions per bucket in the hour before (or after) moment t
      var sum = 0, n = 0;
      s.t.forEach(function (x, i) {
        if (before ? (x < t && x >= t - 3600) : (x >= t && x < t + 3600)) { sum += s.count[i]; n += 1; }
      });
      return n ? sum / n : null;
    }
    function listMarkers(s) {
      var list = options.markerList;
      list.innerHTML = "";
      (s.markers || []).forEach(function (m) {
        var li = document.createElement("li");
        li.className = "marker marker-" + m.kind;
        var glyph = document.createElement("span");
        glyph.className = "marker-glyph"; glyph.setAttribute("aria-hidden", "true");
        glyph.textContent = GLYPHS[m.kind];
        var at = document.createElement("time");
        at.dateTime = new Date(m.t * 1000).toISOString();
        at.textContent = when(m.t, tz);
        var text = " " + m.label;
        if (m.kind === "statement") {
          var before = perBucketAround(s, m.t, true), after = perBucketAround(s, m.t, false);
          if (before !== null && after !== null && m.t + 3600 <= s.t[s.t.length - 1] + 300) {
            text += " — " + fill(d.statementEffect, { before: number(before, 1), after: number(after, 1) });
          } else if (before !== null) {
            text += " — " + fill(d.statementEarly, { before: number(before, 1) });
          }
        }
        li.appendChild(glyph); li.appendChild(document.createTextNode(" ")); li.appendChild(at);
        li.appendChild(document.createTextNode(text));
        if (m.detail) li.title = m.detail;
        list.appendChild(li);
      });
      list.hidden = !(s.markers || []).length;
    }
    function tabulate(s) {
      // at most 48 rows: buckets merged into equal groups
      var group = Math.max(1, Math.ceil(s.t.length / 48));
      var head = [d.labelTime, d.labelCountTable || d.labelCount, d.labelShare];
      var rows = [];
      for (var i = 0; i < s.t.length; i += group) {
        var c = 0, neg = 0, sc = 0;
        for (var j = i; j < Math.min(s.t.length, i + group); j++) {
          c += s.count[j];
          if (s.negative_share[j] !== null) { neg += s.negative_share[j] * s.count[j]; sc += s.count[j]; }
        }
        rows.push([when(s.t[i], tz), number(c), percent(sc ? neg / sc : null)]);
      }
      var table = document.createElement("table");
      table.className = "stack chart-data";
      var thead = table.createTHead().insertRow();
      head.forEach(function (h) { var th = document.createElement("th"); th.scope = "col"; th.textContent = h; thead.appendChild(th); });
      var body = table.createTBody();
      rows.reverse().forEach(function (r) {
        var tr = body.insertRow();
        r.forEach(function (v, k) { var td = tr.insertCell(); td.textContent = v; td.setAttribute("data-label", head[k]); });
      });
      options.table.innerHTML = "";
      options.table.appendChild(table);
    }
    function resize() { if (chart && box.isConnected) chart.setSize(size()); }
    window.addEventListener("resize", resize);
    update(s);
    return { update: update, resize: resize };
  }

  /* Charts whose data is in the page (<script type="application/json" id=...>): the explorer. */
  function staticCharts(root) {
    (root || document).querySelectorAll("[data-chart-json]").forEach(function (box) {
      if (!window.uPlot || box.dataset.drawn) return;
      var source = document.getElementById(box.dataset.chartJson);
      if (!source) return;
      box.dataset.drawn = "true";
      var card = box.closest("section") || document;
      timeChart(box, JSON.parse(source.textContent), {
        summary: card.querySelector(".chart-summary"),
        table: card.querySelector(".chart-table-body")
      });
    });
  }
  document.addEventListener("DOMContentLoaded", function () { staticCharts(document); });
  document.addEventListener("htmx:afterSettle", function () { staticCharts(document); });

  window.CrisisCharts = { timeChart: timeChart, number: number, percent: percent, when: when };
})();
