// The document with line numbers, numbered as the service numbers it (BOM dropped, \r\n and \r
// as \n). The text comes from the tab that sent the design, else from the service, which keeps it
// with the review; without it (a review stored before documents were kept) the quoted lines.
import { el, fill, $ } from "./dom.js";

export function documentLines(text) {
  return text.replace(/^\ufeff/, "").replace(/\r\n?/g, "\n").split("\n");
}

function line(n, text, marks) {
  return el("li", { id: `L${n}`, class: ["line", ...(marks.get(n) || [])].join(" ") },
    el("span", { class: "ln" }, n), el("span", { class: "tx" }, text || "\u200b"));
}

function marksOf(review) {
  const marks = new Map();
  const add = (n, mark) => marks.set(n, new Set([...(marks.get(n) || []), mark]));
  for (const p of review.pitfalls) for (const e of p.evidence) for (let n = e.start_line; n <= e.end_line; n++) add(n, "m-pitfall");
  for (const s of review.stages) for (const g of s.gaps) if (g.start_line) add(g.start_line, "m-gap");
  return marks;
}

/** The quoted lines of a review, each evidence span once, in line order. */
function quotedLines(review) {
  const spans = new Map();
  const all = [...review.pitfalls.flatMap((p) => p.evidence),
    ...review.stages.flatMap((s) => s.items.flatMap((i) => i.evidence)),
    ...review.topic_items.flatMap((i) => i.evidence)];
  for (const e of all) if (!spans.has(e.start_line)) spans.set(e.start_line, e.quote);
  return [...spans.entries()].sort((a, b) => a[0] - b[0]);
}

export function renderDocument(review, text) {
  const marks = marksOf(review);
  const note = $("doc-note");
  if (text !== null && text !== undefined) {
    note.hidden = true;
    fill($("doc"), documentLines(text).map((t, i) => line(i + 1, t, marks)));
    return;
  }
  note.hidden = false;
  note.textContent = "This review was stored without its document: these are the lines it quotes.";
  fill($("doc"), quotedLines(review).map(([n, quote]) => line(n, quote, marks)));
}

function say(text) {
  $("locate").textContent = text;
}

function scrollTo(node) {
  const smooth = !window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  node.scrollIntoView({ block: "center", behavior: smooth ? "smooth" : "auto" });
}

/** Highlight the evidence's lines and bring the first into view. */
export function showLines(evidence, title) {
  for (const node of document.querySelectorAll("#doc .hl")) node.classList.remove("hl");
  let first = null;
  for (const e of evidence) {
    for (let n = e.start_line; n <= e.end_line; n++) {
      const node = $(`L${n}`);
      if (node) { node.classList.add("hl"); first = first || node; }
    }
  }
  const spans = evidence.map((e) => (e.end_line > e.start_line ? `${e.start_line}-${e.end_line}` : e.start_line)).join(", ");
  say(first ? `${title}: line ${spans}` : `${title}: line ${spans} is not shown here`);
  if (first) scrollTo(first);
}

/** Bring a gap's stage section into view, or say the document has none. */
export function locateGap(gap) {
  for (const node of document.querySelectorAll("#doc .hl")) node.classList.remove("hl");
  if (!gap.start_line) {
    say(`${gap.title}: the document has no section for ${gap.group}; this belongs in a new one.`);
    return;
  }
  const node = $(`L${gap.start_line}`);
  say(`${gap.title}: belongs in "${gap.section || gap.group}", from line ${gap.start_line}.`);
  if (node) { node.classList.add("hl"); scrollTo(node); }
}
