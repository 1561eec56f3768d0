// The public REST API, as any client calls it. The API key (when the service has keys) lives in
// this tab's session storage and goes out only as the Authorization header.
const KEY = "design-review.api-key";

export class ApiError extends Error {
  constructor(status, message, { sentKey = false, retryAfter = null } = {}) {
    super(message);
    this.status = status;
    this.sentKey = sentKey;
    this.retryAfter = retryAfter;
  }

  get needsKey() {
    return this.status === 401 || this.status === 403;
  }
}

export function getKey() {
  try { return sessionStorage.getItem(KEY) || ""; } catch { return ""; }
}

export function setKey(key) {
  try { sessionStorage.setItem(KEY, key); } catch { /* storage off: the key is asked again */ }
}

export function forgetKey() {
  try { sessionStorage.removeItem(KEY); } catch { /* nothing kept */ }
}

function detailOf(data, response) {
  if (data && typeof data.detail === "string") return data.detail;
  if (data && Array.isArray(data.detail)) return data.detail.map((e) => e.msg).join("; ");
  return `${response.status} ${response.statusText || "error"}`;
}

/** The answer of a request to the API (JSON, or with `text` the body as text); an ApiError carrying
 * the status and the service's detail. */
export async function call(path, { method = "GET", body, form, signal, text = false } = {}) {
  const key = getKey();
  const headers = { Accept: text ? "text/plain" : "application/json" };
  if (key) headers.Authorization = `Bearer ${key}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";  // a form sets its own type
  let response;
  try {
    response = await fetch(path, { method, headers, signal, credentials: "omit", cache: "no-store",
      body: form !== undefined ? form : body === undefined ? undefined : JSON.stringify(body) });
  } catch (error) {
    if (error.name === "AbortError") throw error;
    throw new ApiError(0, "The service did not answer: is it still running?");
  }
  if (text && response.ok) return response.text();
  let data = null;
  try { data = await response.json(); } catch { /* not JSON: the status says enough */ }
  if (!response.ok) {
    throw new ApiError(response.status, detailOf(data, response),
      { sentKey: Boolean(key), retryAfter: response.headers.get("Retry-After") });
  }
  return data;
}

export const reviewDesign = (body, signal) => call("/v1/reviews", { method: "POST", body, signal });

/** A Word, PDF or HTML file sent as it is (multipart/form-data): the service converts it. */
export async function reviewFile(file, title, signal) {
  const form = new FormData();
  form.append("file", file, file.name);
  if (title) form.append("title", title);
  return call("/v1/reviews", { method: "POST", form, signal });
}
export const storedReview = (id) => call(`/v1/reviews/${encodeURIComponent(id)}`);
/** The text a stored review read (its lines as the review cites them), or null when the store has none. */
export async function storedDocument(id) {
  try {
    return await call(`/v1/reviews/${encodeURIComponent(id)}/document`, { text: true });
  } catch {
    return null;
  }
}
export const history = (sha, limit = 50) =>
  call(`/v1/reviews?document_sha256=${encodeURIComponent(sha)}&limit=${limit}`);
