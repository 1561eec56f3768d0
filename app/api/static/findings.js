// The findings beside the document: pitfalls with their quotes, the gaps that matter most first,
// and the covered items folded; each points at its lines in the document.
import { el, fill, $ } from "./dom.js";

const RANK = { info: 0, warning: 1, critical: 2 };
const SHOWN_GAPS = 10;

/** Every gap with the title of its stage or topic, stage gaps first. */
export function allGaps(review) {
  const topics = Object.fromEntries(review.topics.map((t) => [t.id, t.title]));
  return [...review.stages.flatMap((s) => s.gaps.map((g) => ({ ...g, group: s.title }))),
    ...review.topic_gaps.map((g) => ({ ...g, group: topics[g.item.split(".")[0]] || "Topic" }))];
}

/** Severity first, then the scorer's confidence that the item is not covered. */
export function byImportance(gaps) {
  return [...gaps].sort((a, b) => RANK[b.severity] - RANK[a.severity]
    || (b.confidence || 0) - (a.confidence || 0) || a.item.localeCompare(b.item));
}

export function spanText(evidence) {
  return evidence.map((e) => (e.end_line > e.start_line ? `${e.start_line}-${e.end_line}` : `${e.start_line}`)).join(", ");
}

function badge(severity) {
  return el("span", { class: `badge ${severity}` }, severity);
}

function questions(list) {
  return list.length ? el("ul", { class: "questions" }, list.map((q) => el("li", {}, q))) : null;
}

function guidance(list) {
  if (!list.length) return null;
  return el("details", { class: "guidance" }, el("summary", {}, "Guidance"),
    list.map((g) => el("div", {}, el("p", { class: "source" }, g.source), el("p", { class: "guide-text" }, g.text))));
}

function pitfallCard(p, show) {
  return el("li", { class: `card ${p.severity}` },
    el("button", { type: "button", class: "jump", "aria-controls": "doc", "data-kind": "pitfall",
      onclick: () => show(p.evidence, p.title) },
    badge(p.severity), ` ${p.title}`, el("span", { class: "where" }, ` lines ${spanText(p.evidence)}`)),
    p.evidence.slice(0, 2).map((e) => el("blockquote", {}, e.quote)),
    el("p", {}, p.why), questions(p.questions), guidance(p.guidance));
}

function gapCard(g, locate) {
  return el("li", { class: `card ${g.severity}`, "data-item": g.item },
    el("button", { type: "button", class: "jump", "aria-controls": "doc", "data-kind": "gap",
      onclick: () => locate(g) },
    badge(g.severity), ` ${g.title}`,
    el("span", { class: "where" }, ` ${g.group} · ${g.status}${g.section ? ` · ${g.section}` : " · no section"}`)),
    el("p", {}, g.why), questions(g.questions), guidance(g.guidance));
}

function itemCard(item, group, show) {
  const lines = item.evidence.length ? ` lines ${spanText(item.evidence)}` : "";
  return el("li", { class: "card covered" },
    el("button", { type: "button", class: "jump", "aria-controls": "doc", "data-kind": "item",
      disabled: !item.evidence.length, onclick: () => show(item.evidence, item.title) },
    `${group}: ${item.title}`, el("span", { class: "where" }, lines)));
}

/** Fill the findings column; `show(evidence, title)` highlights lines, `locate(gap)` finds a gap's place. */
export function renderFindings(review, { show, locate }) {
  fill($("pitfalls"), review.pitfalls.length ? review.pitfalls.map((p) => pitfallCard(p, show))
    : el("li", { class: "none" }, "No pitfalls found."));
  const gaps = byImportance(allGaps(review));
  $("gaps-title").textContent = `Gaps (${gaps.length}, the most important first)`;
  const first = gaps.slice(0, SHOWN_GAPS).map((g) => gapCard(g, locate));
  const rest = gaps.slice(SHOWN_GAPS);
  fill($("gaps"), first.length ? first : el("li", { class: "none" }, "No gaps: every item is covered."),
    rest.length ? el("li", {}, el("details", {}, el("summary", {}, `${rest.length} more gaps`),
      el("ul", { class: "cards" }, rest.map((g) => gapCard(g, locate))))) : null);
  const topics = Object.fromEntries(review.topics.map((t) => [t.id, t.title]));
  const items = [...review.stages.flatMap((s) => s.items.map((i) => [i, s.title])),
    ...review.topic_items.map((i) => [i, topics[i.topic] || "Topic"])];
  const covered = items.filter(([i]) => i.status === "covered");
  $("covered-title").textContent = `Covered items (${covered.length})`;
  fill($("covered"), covered.map(([i, group]) => itemCard(i, group, show)));
  const other = items.filter(([i]) => i.status === "not_applicable");
  $("other-box").hidden = !other.length;
  fill($("other"), other.map(([i, group]) => el("li", { class: "card" }, `${group}: ${i.title}`)));
}
