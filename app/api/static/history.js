// A document's reviews: its score over them, and two of them side by side (findings fixed, new).
import { el, fill, $, pct } from "./dom.js";
import { historyChart } from "./charts.js";
import { allGaps } from "./findings.js";

function findings(review) {
  const out = new Map();
  for (const p of review.pitfalls) out.set(`pitfall:${p.id}`, `${p.title} (pitfall, ${p.severity})`);
  for (const g of allGaps(review)) out.set(`gap:${g.item}`, `${g.group}: ${g.title} (${g.status}, ${g.severity})`);
  return out;
}

function label(review, i) {
  return `#${i + 1} · ${review.created_at.slice(0, 16).replace("T", " ")} · ${pct(review.overall.score)}`;
}

function column(title, review, list, empty) {
  return el("div", { class: "panel compare-col" },
    el("h3", {}, title),
    el("p", {}, `${pct(review.overall.score)} / 100, ${review.overall.verdict.replace("_", " ")} · `,
      el("a", { href: `/reviews/${encodeURIComponent(review.id)}` }, "open")),
    list.length ? el("ul", {}, list.map((text) => el("li", {}, text))) : el("p", { class: "hint" }, empty));
}

function compare(reviews) {
  const older = reviews[Number($("older").value)], newer = reviews[Number($("newer").value)];
  const before = findings(older), after = findings(newer);
  const fixed = [...before].filter(([k]) => !after.has(k)).map(([, t]) => t);
  const added = [...after].filter(([k]) => !before.has(k)).map(([, t]) => t);
  fill($("compare"),
    column(`Fixed since ${label(older, Number($("older").value))} (${fixed.length})`, older, fixed, "No finding fixed."),
    column(`New in ${label(newer, Number($("newer").value))} (${added.length})`, newer, added, "No new finding."));
}

/** Show a document's history, oldest review first (the API answers newest first). */
export function renderHistory(page) {
  const reviews = [...page.reviews].reverse();
  const panel = $("history");
  panel.hidden = false;
  $("history-title").textContent = `History of this document (${page.total} review${page.total === 1 ? "" : "s"})`;
  const draw = () => fill($("history-chart"), historyChart(reviews, $("history-chart").clientWidth));
  draw();
  window.addEventListener("resize", draw);
  const options = () => reviews.map((r, i) => el("option", { value: i }, label(r, i)));
  fill($("older"), options());
  fill($("newer"), options());
  $("older").value = String(Math.max(0, reviews.length - 2));
  $("newer").value = String(reviews.length - 1);
  $("older").onchange = $("newer").onchange = () => compare(reviews);
  compare(reviews);
}
