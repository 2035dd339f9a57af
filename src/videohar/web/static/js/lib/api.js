// JSON API client: same-origin cookie session, CSRF header on writes, one silent refresh after a 401.

const SAFE = new Set(["GET", "HEAD", "OPTIONS"]);

export class ApiError extends Error {
  constructor(status, message, body) {
    super(message);
    this.status = status;
    this.body = body;
  }
}

export function cookie(name) {
  for (const part of document.cookie.split(";")) {
    const [key, ...rest] = part.trim().split("=");
    if (key === name) return decodeURIComponent(rest.join("="));
  }
  return "";
}

let refreshing = null;

/** Renew the access cookie from the refresh cookie; concurrent callers share one request. */
export function refreshSession() {
  refreshing ??= fetch("/token/refresh", { method: "POST", credentials: "same-origin" })
    .then((r) => r.ok)
    .catch(() => false)
    .finally(() => setTimeout(() => (refreshing = null), 0));
  return refreshing;
}

export function loginUrl() {
  const next = location.pathname + location.search;
  return `/ui/login?next=${encodeURIComponent(next)}`;
}

async function errorFrom(res) {
  let body = null;
  let message = `${res.status} ${res.statusText}`;
  try {
    body = await res.json();
    if (typeof body?.message === "string") message = body.message;
    else if (typeof body?.detail === "string") message = body.detail;
  } catch {
    /* not JSON */
  }
  return new ApiError(res.status, message, body);
}

/**
 * Call the API. Returns parsed JSON (or text), or the Response with `raw: true`.
 * A 401 triggers one refresh-and-retry; if that fails the browser goes to the login page
 * unless `redirect: false`.
 */
export async function api(path, { method = "GET", body, raw = false, retry = true, redirect = true } = {}) {
  const init = { method, credentials: "same-origin", headers: { Accept: "application/json" } };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers["Content-Type"] = "application/json";
  }
  const send = () => {
    if (!SAFE.has(method)) init.headers["X-CSRF-Token"] = cookie("vh_csrf");
    return fetch(path, init);
  };
  let res = await send();
  if (res.status === 401 && retry) {
    if (await refreshSession()) res = await send();
    if (res.status === 401 && redirect) {
      location.assign(loginUrl());
      throw new ApiError(401, "session expired");
    }
  }
  if (!res.ok) throw await errorFrom(res);
  if (raw) return res;
  if (res.status === 204) return null;
  const type = res.headers.get("content-type") || "";
  return type.includes("json") ? res.json() : res.text();
}

export const get = (path, opts) => api(path, opts);
export const post = (path, body, opts) => api(path, { ...opts, method: "POST", body });
export const patch = (path, body, opts) => api(path, { ...opts, method: "PATCH", body });
export const put = (path, body, opts) => api(path, { ...opts, method: "PUT", body });
export const del = (path, opts) => api(path, { ...opts, method: "DELETE" });

/** Lists come back as arrays or as {items, total}; pages treat both alike. */
export function items(result) {
  if (Array.isArray(result)) return { items: result, total: result.length };
  const list = result?.items ?? result?.results ?? result?.data ?? [];
  return { items: list, total: result?.total ?? list.length };
}

/**
 * POST a FormData with upload progress (fetch cannot report it): `onProgress(fraction)`.
 * Same cookie session and CSRF header as `api`; resolves with the parsed JSON body.
 */
export function upload(path, formData, onProgress = () => {}) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", path);
    xhr.withCredentials = true;
    xhr.setRequestHeader("Accept", "application/json");
    xhr.setRequestHeader("X-CSRF-Token", cookie("vh_csrf"));
    xhr.upload.addEventListener("progress", (e) => e.lengthComputable && onProgress(e.loaded / e.total));
    xhr.addEventListener("error", () => reject(new ApiError(0, "the upload failed (network error)")));
    xhr.addEventListener("load", () => {
      let body = null;
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        /* not JSON */
      }
      if (xhr.status >= 200 && xhr.status < 300) return resolve(body);
      const message = typeof body?.message === "string" ? body.message : typeof body?.detail === "string" ? body.detail : `${xhr.status} ${xhr.statusText}`;
      reject(new ApiError(xhr.status, message, body));
    });
    xhr.send(formData);
  });
}
