// The JSON API as the pages call it: the bearer token, the error shape, and the
// Idempotency-Key a write keeps until it gets an answer.
//
// No DOM here (tests/web/ runs it under Node with a fake fetch).

export class ApiError extends Error {
  constructor(status, code, message, details) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details || [];
  }
}

export function newKey() {
  if (globalThis.crypto && crypto.randomUUID) return crypto.randomUUID();
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

// One form's write key. The same write (the same body) sent again before an answer came
// (a double click, a resend after the network failed or the server was busy) carries the
// same key, so the API applies it once and answers the resend with the first answer. Once
// an answer comes, the next write is a new one with a new key; so is a changed body.
export class WriteKey {
  constructor(make) {
    this.make = make || newKey;
    this.key = null;
    this.body = null;
  }

  for(body) {
    const text = JSON.stringify(body === undefined ? null : body);
    if (this.key === null || this.body !== text) {
      this.key = this.make();
      this.body = text;
    }
    return this.key;
  }

  // An answer the server gave for certain (not busy, not unknown): the write is settled.
  settle(status) {
    if (status > 0 && status < 500) {
      this.key = null;
      this.body = null;
    }
  }
}

function errorOf(status, text) {
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch (e) {
    data = null;
  }
  const err = data && typeof data === "object" ? data.error : null;
  if (err && typeof err === "object") {
    return new ApiError(status, String(err.code || "error"), String(err.message || ""),
                        Array.isArray(err.details) ? err.details : []);
  }
  return new ApiError(status, "http_" + status, String(text || "").slice(0, 300) || "HTTP " + status);
}

export function createApi({ root, token, fetchFn }) {
  const doFetch = fetchFn || ((...args) => globalThis.fetch(...args));

  async function send(method, path, body, accept, writeKey, extra) {
    const headers = Object.assign({ Accept: accept }, extra || {});
    const tok = token();
    if (tok) headers.Authorization = "Bearer " + tok;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (method !== "GET") headers["Idempotency-Key"] = (writeKey || new WriteKey()).for(body);
    let response;
    try {
      response = await doFetch(root + path, {
        method, headers, cache: "no-store", body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (e) {
      throw new ApiError(0, "network_error", "The server could not be reached (" + e.message + "). Try again.");
    }
    if (writeKey) writeKey.settle(response.status);
    return response;
  }

  // `options.key`: the form's WriteKey (else the write gets a key of its own);
  // `options.headers`: more headers (If-Match).
  async function call(method, path, body, options) {
    const opts = options || {};
    const response = await send(method, path, body, "application/json", opts.key, opts.headers);
    const text = await response.text();
    if (!response.ok) throw errorOf(response.status, text);
    try {
      return text ? JSON.parse(text) : null;
    } catch (e) {
      throw new ApiError(response.status, "bad_answer", "The server's answer was not JSON.");
    }
  }

  // A CSV (or other text) report: its text and the file name the server suggests.
  async function download(path, fallbackName) {
    const response = await send("GET", path, undefined, "text/csv");
    const text = await response.text();
    if (!response.ok) throw errorOf(response.status, text);
    const disposition = response.headers.get("Content-Disposition") || "";
    const named = disposition.match(/filename="?([^";]+)"?/);
    return { text, filename: named ? named[1] : fallbackName, type: response.headers.get("Content-Type") || "text/csv" };
  }

  return { call, download };
}
