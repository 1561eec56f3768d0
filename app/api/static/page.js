// The review page: send a design to POST /v1/reviews, or read a stored review, and show it.
import { el, fill, $, pct } from "./dom.js";
import { ApiError, forgetKey, history, reviewDesign, reviewFile, setKey, storedDocument, storedReview } from "./api.js";
import { stageChart } from "./charts.js";
import { renderDocument, showLines, locateGap } from "./document.js";
import { renderFindings } from "./findings.js";
import { renderHistory } from "./history.js";
import { download } from "./exports.js";

const TEXT_SUFFIXES = { ".md": "markdown", ".markdown": "markdown", ".txt": "text", ".text": "text" };
// sent as files: the service converts them and keeps the markdown its line numbers refer to
const FILE_SUFFIXES = { ".docx": "Word", ".pdf": "PDF", ".html": "HTML", ".htm": "HTML" };
const MAX_FILE_BYTES = 5 * 1024 * 1024;  // the service's own limit is lower; this spares reading a huge file
const MAX_UPLOAD_BYTES = 25 * 1024 * 1024;  // a Word or PDF file is larger than its text
let chosenFile = null;  // a Word, PDF or HTML file waiting for Review
const DOCUMENT_KEY = (id) => `design-review.document:${id}`;
let current = null;
let running = null;  // the AbortController of the review in flight
let keyWaiter = null;

function message(text, kind = "error") {
  const box = $("message");
  box.hidden = !text;
  box.className = `message ${kind}`;
  box.textContent = text || "";
}

function explain(error) {
  if (error.name === "AbortError") return "The review was cancelled.";
  if (!(error instanceof ApiError)) return `Something went wrong on this page: ${error.message}`;
  const retry = error.retryAfter ? ` Try again in ${error.retryAfter} s.` : "";
  const lead = { 0: "", 404: "Not found: ", 413: "Too large: ", 422: "The service cannot review this: ",
    429: "Too many requests: ", 503: "The service cannot review now: " }[error.status] ?? `Error ${error.status}: `;
  return `${lead}${error.message}${retry}`;
}

// ---- the API key, asked for when the service answers 401 or 403

function askKey(error, signal) {
  $("key-panel").hidden = false;
  $("key-message").textContent = !error.sentKey ? "This service needs an API key: enter it to continue."
    : error.status === 401 ? "The API key was not accepted (401): check it and enter it again."
      : `This API key may not do that (${error.status}): ${error.message}`;
  $("progress-text").textContent = "Waiting for an API key...";
  $("key-input").focus();
  return new Promise((resolve, reject) => {
    keyWaiter = resolve;
    signal?.addEventListener("abort", () => reject(new DOMException("cancelled", "AbortError")), { once: true });
  });
}

async function withKey(action, signal) {
  for (;;) {
    try {
      return await action();
    } catch (error) {
      if (!(error instanceof ApiError) || !error.needsKey) throw error;
      await askKey(error, signal);
    }
  }
}

$("key-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const key = $("key-input").value.trim();
  if (!key) return;
  setKey(key);
  $("key-input").value = "";
  $("key-panel").hidden = true;
  const resume = keyWaiter;
  keyWaiter = null;
  resume?.();
});
$("key-forget").addEventListener("click", () => { forgetKey(); $("key-message").textContent = "The key is forgotten."; });

// ---- showing a review

function drawChart() {
  if (current) fill($("chart"), stageChart(current.stages, $("chart").clientWidth));
}

function showReview(review, text) {
  current = review;
  $("result").hidden = false;
  const o = review.overall, d = review.document, r = review.reviewer;
  $("score").textContent = pct(o.score);
  $("score").setAttribute("aria-label", `Overall score ${pct(o.score)} out of 100`);
  $("verdict").textContent = o.verdict.replace("_", " ");
  $("verdict").className = `verdict ${o.verdict}`;
  $("result-title").textContent = d.title;
  $("doc-facts").textContent = `${d.words} words · ${d.lines} lines · reviewed ${review.created_at.slice(0, 16).replace("T", " ")} UTC`
    + (r.cached ? " · from the stored reviews" : "");
  fill($("topics"), review.topics.length
    ? review.topics.map((t) => el("span", { class: "chip" }, `${t.title} (${t.confidence.toFixed(2)})`)) : "none detected");
  $("review-link").href = `/reviews/${encodeURIComponent(review.id)}`;
  $("history-link").href = `/reviews/${encodeURIComponent(review.id)}?document_sha256=${d.sha256}`;
  $("degraded").hidden = !r.degraded;
  $("degraded").textContent = r.degraded ? `Degraded review: ${r.degraded_reason}` : "";
  $("reviewer").textContent = `${r.backend} reviewer ${r.version}${r.llm_model ? ` (${r.llm_model})` : ""}, rubric ${r.rubric_version}, `
    + `corpus ${r.corpus_version}, ${r.embedding_model}, ${r.elapsed_ms} ms. Review id ${review.id}.`;
  drawChart();
  renderDocument(review, text);
  renderFindings(review, { show: showLines, locate: locateGap });
  $("locate").textContent = "Choose a finding to see its lines.";
}

let resizeTimer = 0;
window.addEventListener("resize", () => { clearTimeout(resizeTimer); resizeTimer = setTimeout(drawChart, 100); });
for (const button of document.querySelectorAll("[data-download]")) {
  button.addEventListener("click", () => current && download(current, button.dataset.download));
}

// ---- sending a design

function busy(on) {
  $("review-button").disabled = on;
  $("cancel-button").hidden = !on;
  $("progress").hidden = !on;
}

async function submit(event) {
  event.preventDefault();
  if (chosenFile) {
    const file = chosenFile;
    // the file goes as it is; the page shows the markdown the service converted it to
    return sendForReview(`Converting and reviewing ${file.name}`,
      (signal) => reviewFile(file, $("title").value.trim(), signal), (done) => storedDocument(done.id));
  }
  const text = $("document").value;
  if (!text.trim()) {
    message("The document is empty: paste a design or drop a .md, .txt, .docx, .pdf or .html file, then press Review.");
    $("document").focus();
    return;
  }
  const body = { document: text, format: $("format").value };
  if ($("title").value.trim()) body.title = $("title").value.trim();
  return sendForReview("Reviewing", (signal) => reviewDesign(body, signal), (done) => {
    try { sessionStorage.setItem(DOCUMENT_KEY(done.id), text); } catch { /* the page shows quotes instead */ }
    return text;
  });
}

/** Send a design (`send(signal)` answers the review), showing progress, and show the review beside
 * its document (`textOf(review)`). */
async function sendForReview(label, send, textOf) {
  message("");
  running = new AbortController();
  const started = performance.now();
  const tick = setInterval(() => {
    if ($("key-panel").hidden) $("progress-text").textContent = `${label}... ${((performance.now() - started) / 1000).toFixed(0)} s`;
  }, 500);
  $("progress-text").textContent = `${label}...`;
  busy(true);
  try {
    const signal = running.signal;
    const done = await withKey(() => send(signal), signal);
    showReview(done, await textOf(done));
    $("result-title").focus({ preventScroll: true });
    $("result").scrollIntoView({ block: "start" });
  } catch (error) {
    message(explain(error), error.name === "AbortError" ? "info" : "error");
  } finally {
    clearInterval(tick);
    busy(false);
    running = null;
  }
}

$("review-form").addEventListener("submit", submit);
$("document").addEventListener("input", () => { chosenFile = null; });
$("cancel-button").addEventListener("click", () => running?.abort());

// ---- files: chosen or dropped

async function readFile(file) {
  const dot = file.name.lastIndexOf(".");
  const format = TEXT_SUFFIXES[dot >= 0 ? file.name.slice(dot).toLowerCase() : ""];
  if (!format) throw new Error(`${file.name} is not a design the service reads: choose a .md, .txt, .docx, .pdf or .html file.`);
  if (file.size > MAX_FILE_BYTES) throw new Error(`${file.name} is too large (${(file.size / 1048576).toFixed(1)} MB): a design is at most a few hundred KB.`);
  let text;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(await file.arrayBuffer());
  } catch {
    throw new Error(`${file.name} cannot be read as UTF-8 text: save it as UTF-8 markdown or text.`);
  }
  if (text.includes("\u0000")) throw new Error(`${file.name} is not text (it holds NUL bytes): choose a .md or .txt file.`);
  return { text, format };
}

async function takeFile(file) {
  if (!file) return;
  const dot = file.name.lastIndexOf(".");
  const kind = FILE_SUFFIXES[dot >= 0 ? file.name.slice(dot).toLowerCase() : ""];
  if (kind) {
    if (file.size > MAX_UPLOAD_BYTES) {
      message(`${file.name} is too large (${(file.size / 1048576).toFixed(1)} MB): the service takes files up to 25 MB.`);
      return;
    }
    chosenFile = file;
    $("document").value = "";
    message(`${file.name} (${kind}) will be sent as a file and converted by the service: press Review.`, "info");
    return;
  }
  chosenFile = null;
  try {
    const { text, format } = await readFile(file);
    $("document").value = text;
    $("format").value = format;
    message(`Read ${file.name}: press Review.`, "info");
  } catch (error) {
    message(error.message);
  }
}

$("file").addEventListener("change", () => takeFile($("file").files[0]));
const form = $("review-form");
form.addEventListener("dragover", (event) => { event.preventDefault(); form.classList.add("dropping"); });
form.addEventListener("dragleave", () => form.classList.remove("dropping"));
form.addEventListener("drop", (event) => {
  event.preventDefault();
  form.classList.remove("dropping");
  takeFile(event.dataTransfer.files[0]);
});

// ---- a stored review's page, and a document's history

/** The document a review read: this tab's copy, else the one the service stored with the review. */
async function keptText(id) {
  try {
    const kept = sessionStorage.getItem(DOCUMENT_KEY(id));
    if (kept !== null) return kept;
  } catch { /* storage off: ask the service */ }
  return storedDocument(id);
}

async function load() {
  const id = document.body.dataset.reviewId;
  const sha = new URLSearchParams(location.search).get("document_sha256");
  try {
    if (id) {
      const review = await withKey(() => storedReview(id));
      showReview(review, await keptText(id));
    }
    if (sha) {
      const page = await withKey(() => history(sha));
      if (!page.reviews.length) message("No stored review has this document.", "info");
      else renderHistory(page);
      if (!id && page.reviews.length) showReview(page.reviews[0], await keptText(page.reviews[0].id));
    }
  } catch (error) {
    message(explain(error));
  }
}

load();
