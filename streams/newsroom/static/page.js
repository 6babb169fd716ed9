// wirestream newsroom: fills index.html from the JSON views every few seconds. Every text goes in
// through textContent (never innerHTML), so article text cannot become markup. Charts are plain SVG.
"use strict";
(function () {
  const REFRESH_MS = 3000;
  const PLACE = new Set(["GPE", "LOC", "FAC"]);
  const SVG = "http://www.w3.org/2000/svg";
  const $ = (sel) => document.querySelector(sel);

  function el(tag, attrs, text) {
    const node = tag.startsWith("svg:") ? document.createElementNS(SVG, tag.slice(4)) : document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  // -1 red, 0 grey, +1 green.
  function tone(score) {
    const s = Math.max(-1, Math.min(1, Number(score) || 0));
    const grey = [154, 160, 166], end = s < 0 ? [192, 57, 43] : [30, 132, 73], t = Math.abs(s);
    const c = grey.map((g, i) => Math.round(g + (end[i] - g) * t));
    return `rgb(${c[0]}, ${c[1]}, ${c[2]})`;
  }

  function articleHref(id) { return "/articles/" + encodeURIComponent(id); }

  async function getJSON(path) {
    const resp = await fetch(path, { credentials: "same-origin", cache: "no-store" });
    if (!resp.ok) throw new Error(`${path}: HTTP ${resp.status}`);
    return resp.json();
  }

  function kinds() {
    return new Set([...document.querySelectorAll("#kinds input:checked")].map((i) => i.value));
  }

  function kindOf(label) { return PLACE.has(label) ? "PLACE" : label; }

  let lastTrending = null;
  function drawTrending(answer) {
    lastTrending = answer;
    const wanted = kinds();
    const rows = answer.entities.filter((e) => wanted.has(kindOf(e.label))).slice(0, 20);
    const list = $("#trending");
    list.replaceChildren();
    const most = Math.max(1, ...rows.map((e) => e.mentions));
    for (const e of rows) {
      const li = el("li", { "data-name": e.name, "data-label": e.label, "data-kind": kindOf(e.label),
                            title: `${e.name} (${e.label}): ${e.mentions} mentions in ${e.articles} articles, ` +
                                   `mean sentiment ${e.mean_sentiment.toFixed(3)}` });
      const name = el("span", { class: "name" }, e.name);
      name.append(el("span", { class: "kind" }, e.label));
      const svg = el("svg:svg", { viewBox: "0 0 100 10", preserveAspectRatio: "none", "aria-hidden": "true" });
      svg.append(el("svg:rect", { x: 0, y: 0, height: 10, width: (100 * e.mentions / most).toFixed(2),
                                  fill: tone(e.mean_sentiment), class: "bar" }));
      li.append(name, svg, el("span", { class: "num mentions" }, e.mentions));
      list.append(li);
    }
    if (!rows.length) list.append(el("li", { class: "empty" }, "Nothing in the last hour yet."));
  }

  function time(stamp) {
    if (!stamp) return "";
    const d = new Date(stamp);
    return isNaN(d) ? stamp : d.toLocaleTimeString([], { hour12: false });
  }

  function drawLatest(answer) {
    const body = $("#latest tbody");
    body.replaceChildren();
    for (const a of answer.articles) {
      const tr = el("tr", { class: "article", "data-id": a.id });
      const head = el("td");
      head.append(el("a", { href: articleHref(a.id) }, a.headline || a.id));
      const dup = el("td");
      if (a.duplicate_of) dup.append(el("a", { href: articleHref(a.duplicate_of), class: "duplicate" }, a.duplicate_of));
      tr.append(head, el("td", { title: a.enriched_at || "" }, time(a.enriched_at)), el("td", {}, a.language || "?"),
                el("td", { class: "num" }, a.entities), el("td", { class: "num" }, a.quotes), dup);
      body.append(tr);
    }
    if (!answer.articles.length) {
      const tr = el("tr");
      tr.append(el("td", { colspan: 6, class: "empty" }, "No enriched article yet."));
      body.append(tr);
    }
  }

  function drawRate(rate) {
    const svg = $("#rate");
    svg.replaceChildren();
    const series = rate.series || [], step = rate.step || 10, w = 600, h = 120;
    const perSecond = series.map(([, n]) => n / step);
    const most = Math.max(0.1, ...perSecond), bar = w / Math.max(1, series.length);
    perSecond.forEach((v, i) => {
      const bh = (h - 14) * v / most;
      const r = el("svg:rect", { x: (i * bar).toFixed(2), y: (h - bh).toFixed(2), width: Math.max(1, bar - 1).toFixed(2),
                                 height: bh.toFixed(2), fill: "#3b82f6" });
      r.append(el("svg:title", {}, `${new Date(series[i][0] * 1000).toLocaleTimeString([], { hour12: false })}: ` +
                                   `${v.toFixed(2)}/s`));
      svg.append(r);
    });
    const last = perSecond.slice(-6), total = series.reduce((t, [, n]) => t + n, 0);
    const minute = last.reduce((a, b) => a + b, 0) / Math.max(1, last.length);
    $("#rate-now").textContent = `${minute.toFixed(2)} articles/s over the last minute · ${total} in 10 minutes` +
                                 ` · top of the chart: ${most.toFixed(2)}/s`;
  }

  function drawHealth(answer) {
    drawRate(answer.rate || { series: [] });
    // One row per worker and topic, one column per partition.
    const lag = $("#lag tbody"), head = $("#lag thead");
    const partitions = [...new Set(answer.workers.flatMap((w) => w.lag.map((r) => r.partition)))].sort((a, b) => a - b);
    const headRow = el("tr");
    headRow.append(el("th", {}, "worker"), el("th", {}, "topic"),
                   ...partitions.map((p) => el("th", { class: "num" }, `p${p}`)));
    head.replaceChildren(headRow);
    lag.replaceChildren();
    for (const w of answer.workers) {
      const who = w.url || "this worker";
      if (w.status !== "ready" || !w.lag.length) {
        const tr = el("tr", { class: "worker-state" });
        tr.append(el("td", {}, who), el("td", { colspan: partitions.length + 1 },
                                          w.error ? `${w.status}: ${w.error}` : w.status));
        lag.append(tr);
      }
      const topics = new Map();
      for (const row of w.lag) {
        if (!topics.has(row.topic)) topics.set(row.topic, new Map());
        topics.get(row.topic).set(row.partition, row.lag);
      }
      for (const [topic, byPartition] of topics) {
        const tr = el("tr", { class: "lag", "data-topic": topic });
        tr.append(el("td", {}, who), el("td", {}, topic.replace(/^.*?articles\./, "")));
        for (const p of partitions) {
          const n = byPartition.get(p);
          tr.append(el("td", { class: "num" + (n > 100 ? " negative" : ""), title: `${topic} partition ${p}` },
                       n === undefined ? "" : n));
        }
        lag.append(tr);
      }
    }
    const dead = $("#deadletters tbody");
    dead.replaceChildren();
    const reasons = Object.entries(answer.deadletters || {});
    for (const [reason, n] of reasons) {
      const tr = el("tr", { class: "deadletter" });
      tr.append(el("td", {}, reason), el("td", { class: "num" }, n));
      dead.append(tr);
    }
    if (!reasons.length) {
      const tr = el("tr");
      tr.append(el("td", { colspan: 2, class: "empty" }, "None."));
      dead.append(tr);
    }
  }

  async function refresh() {
    const jobs = [["/trending?window=1h&kind=hopping&limit=200", drawTrending],
                  ["/api/articles?limit=30", drawLatest], ["/api/health", drawHealth]];
    const results = await Promise.allSettled(jobs.map(([path, draw]) => getJSON(path).then(draw)));
    const failed = results.filter((r) => r.status === "rejected").map((r) => r.reason.message);
    $("#updated").textContent = failed.length ? `update failed: ${failed.join("; ")}`
                                              : `updated ${new Date().toLocaleTimeString([], { hour12: false })}`;
    document.body.dataset.refreshed = String(Number(document.body.dataset.refreshed || 0) + 1);
  }

  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll("#kinds input").forEach((box) =>
      box.addEventListener("change", () => lastTrending && drawTrending(lastTrending)));
    refresh();
    setInterval(refresh, REFRESH_MS);
  });
})();
