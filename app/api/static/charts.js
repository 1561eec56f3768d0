// The two charts, drawn as SVG at the width of their container: the ten stage scores with each
// stage's covered / partial / missing counts, and a document's score over its reviews.
import { svg, pct } from "./dom.js";

export function counts(items) {
  const n = { covered: 0, partial: 0, missing: 0 };
  for (const item of items) if (item.status in n) n[item.status] += 1;
  return n;
}

function tone(score) {
  return score >= 0.75 ? "good" : score >= 0.5 ? "fair" : "poor";
}

/** Horizontal bars, one row per stage: title, bar, score and counts on one line when there is
 * room, else the title and counts above the bar. */
export function stageChart(stages, width) {
  const W = Math.max(260, Math.min(width || 720, 1200));
  const layout = W >= 760 ? "wide" : W >= 540 ? "medium" : "narrow";
  const rowH = { wide: 30, medium: 44, narrow: 60 }[layout];
  const barX = layout === "wide" ? 300 : 0;
  const barW = layout === "wide" ? W - barX - 260 : W - 48;
  const summary = stages.map((s) => `${s.title} ${pct(s.score)}`).join(", ");
  const root = svg("svg", { viewBox: `0 0 ${W} ${stages.length * rowH}`, width: W,
    height: stages.length * rowH, role: "img", "aria-label": `Stage scores out of 100: ${summary}`,
    class: "stage-chart" });
  stages.forEach((s, i) => {
    const y = i * rowH;
    const n = counts(s.items);
    const label = `${n.covered} covered · ${n.partial} partial · ${n.missing} missing`;
    const barY = { wide: y + 9, medium: y + 22, narrow: y + 40 }[layout];
    const countAt = { wide: [W, y + 19, "end"], medium: [W, y + 14, "end"], narrow: [0, y + 32, "start"] }[layout];
    root.append(svg("g", { class: `stage ${tone(s.score)}`, "data-stage": s.id },
      svg("title", {}, `${s.title}: ${pct(s.score)} / 100; ${label}`),
      svg("text", { x: 0, y: layout === "wide" ? y + 19 : y + 14, class: "stage-title" }, s.title),
      svg("text", { x: countAt[0], y: countAt[1], class: "stage-counts", "text-anchor": countAt[2] }, label),
      svg("rect", { x: barX, y: barY, width: barW, height: 12, rx: 3, class: "track" }),
      svg("rect", { x: barX, y: barY, width: Math.max(2, s.score * barW), height: 12, rx: 3, class: "bar" }),
      svg("text", { x: barX + barW + 36, y: barY + 11, class: "stage-score", "text-anchor": "end" }, pct(s.score))));
  });
  return root;
}

/** A document's overall score over its reviews, oldest first. */
export function historyChart(reviews, width) {
  const W = Math.max(260, Math.min(width || 720, 900));
  const H = 160, left = 34, right = 16, top = 14, bottom = 28;
  const x = (i) => left + (reviews.length === 1 ? (W - left - right) / 2
    : (i * (W - left - right)) / (reviews.length - 1));
  const y = (score) => top + (1 - score) * (H - top - bottom);
  const summary = reviews.map((r) => `${r.created_at.slice(0, 10)} ${pct(r.overall.score)}`).join(", ");
  const root = svg("svg", { viewBox: `0 0 ${W} ${H}`, width: W, height: H, role: "img",
    "aria-label": `Overall score over the reviews, oldest first: ${summary}`, class: "history-chart" });
  for (const tick of [0, 0.5, 1]) {
    root.append(svg("line", { x1: left, x2: W - right, y1: y(tick), y2: y(tick), class: "grid" }),
      svg("text", { x: left - 6, y: y(tick) + 4, "text-anchor": "end", class: "axis" }, pct(tick)));
  }
  root.append(svg("polyline", { class: "line",
    points: reviews.map((r, i) => `${x(i)},${y(r.overall.score)}`).join(" ") }));
  reviews.forEach((r, i) => {
    root.append(svg("g", { class: "point" },
      svg("title", {}, `${r.created_at.slice(0, 16).replace("T", " ")}: ${pct(r.overall.score)} (${r.overall.verdict.replace("_", " ")}), reviewer ${r.reviewer.version}`),
      svg("circle", { cx: x(i), cy: y(r.overall.score), r: 5 }),
      svg("text", { x: x(i), y: H - 8, "text-anchor": "middle", class: "axis" }, `#${i + 1}`)));
  });
  return root;
}
