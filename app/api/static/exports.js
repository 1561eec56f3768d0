// The report downloads: the review's JSON as the API answered it, and markdown and SARIF 2.1.0
// made from that JSON (the same headings as the command line's markdown report).
import { byImportance, allGaps } from "./findings.js";
import { counts } from "./charts.js";

const escape = (text) => String(text).replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");
const LEVEL = { critical: "error", warning: "warning", info: "note" };

export function toMarkdown(review) {
  const d = review.document, o = review.overall;
  const out = [`# Design review: ${escape(d.title)}`, "",
    `**Overall:** ${o.score.toFixed(2)} (${o.verdict.replace("_", " ")}) · ${d.words} words · topics: ${review.topics.map((t) => t.id).join(", ") || "none detected"}`, "",
    "Stage scores count covered items 1 and partial ones ½; the overall score counts covered items only.", "",
    "| Stage | Score | Covered | Partial | Gaps |", "| --- | --- | --- | --- | --- |"];
  for (const s of review.stages) {
    const n = counts(s.items);
    out.push(`| ${s.title} | ${s.score.toFixed(2)} | ${n.covered}/${s.items.length} | ${n.partial} | ${s.gaps.length} |`);
  }
  if (review.pitfalls.length) {
    out.push("", "## Pitfalls", "");
    for (const p of review.pitfalls) {
      out.push(`- **${p.title}** (${p.severity}, ${p.evidence.map((e) => `L${e.start_line}`).join(", ")}): ${p.why}`);
      if (p.evidence.length) out.push(`  > ${escape(p.evidence[0].quote)}`);
    }
  }
  const gaps = byImportance(allGaps(review));
  out.push("", `## Gaps (${gaps.length}, the most important first)`, "");
  for (const g of gaps) {
    out.push(`### ${g.title} (\`${g.item}\`, ${g.severity}, ${g.status})`, "", g.why, "",
      ...g.questions.map((q) => `- ${q}`));
    if (g.guidance.length) out.push("", `Guidance: \`${g.guidance[0].source}\``);
    out.push("");
  }
  const r = review.reviewer;
  out.push(`_Reviewed by design-reviewer ${r.version} (${r.backend}), rubric ${r.rubric_version}, corpus ${r.corpus_version}._`);
  return out.join("\n") + "\n";
}

function location(uri, start, end) {
  return { physicalLocation: { artifactLocation: { uri },
    region: { startLine: start, endLine: Math.max(start, end || start) } } };
}

export function toSarif(review, uri = "design.md") {
  const rules = new Map();
  const results = [];
  const rule = (id, title, severity, help) => {
    if (!rules.has(id)) rules.set(id, { id, shortDescription: { text: title }, help: { text: help || title },
      defaultConfiguration: { level: LEVEL[severity] } });
    return [...rules.keys()].indexOf(id);
  };
  for (const p of review.pitfalls) {
    results.push({ ruleId: p.id, ruleIndex: rule(p.id, p.title, p.severity, p.questions.join("\n")),
      level: LEVEL[p.severity], message: { text: `${p.title}: ${p.why}` },
      locations: p.evidence.slice(0, 1).map((e) => location(uri, e.start_line, e.end_line)) });
  }
  for (const g of byImportance(allGaps(review))) {
    results.push({ ruleId: g.item, ruleIndex: rule(g.item, g.title, g.severity, g.questions.join("\n")),
      level: LEVEL[g.severity], message: { text: `${g.title} (${g.status}): ${g.why}` },
      locations: [location(uri, g.start_line || 1)] });
  }
  const r = review.reviewer;
  return { $schema: "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json",
    version: "2.1.0", runs: [{ tool: { driver: { name: "design-reviewer", version: r.version,
      rules: [...rules.values()] } }, results,
    properties: { reviewId: review.id, score: review.overall.score, verdict: review.overall.verdict,
      rubricVersion: r.rubric_version, corpusVersion: r.corpus_version } }] };
}

const FORMATS = {
  json: (review) => [JSON.stringify(review, null, 2) + "\n", "application/json", "json"],
  markdown: (review) => [toMarkdown(review), "text/markdown", "md"],
  sarif: (review) => [JSON.stringify(toSarif(review), null, 2) + "\n", "application/sarif+json", "sarif"],
};

/** Save the review in one format as a file named after its id. */
export function download(review, format) {
  const [text, type, suffix] = FORMATS[format](review);
  const url = URL.createObjectURL(new Blob([text], { type }));
  const link = Object.assign(document.createElement("a"), { href: url, download: `review-${review.id}.${suffix}` });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
