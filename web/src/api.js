/*
 * @module api
 * The client of the Sitefinder API: JSON in and out, readable errors, a count of requests in
 * flight (for the loading indicator). Superseded requests are aborted by their callers with an
 * AbortController; an abort is re-thrown as is, so callers can tell it from a failure.
 */

import { t } from "./i18n.js";

/** A failed request, with a message fit for the banner. */
export class ApiError extends Error {}

export function isAbort(err) {
  return err?.name === "AbortError";
}

/**
 * @param {{onPending?: (count: number) => void, csrf?: () => string|null}} hooks `onPending` hears
 *   the number of requests in flight after each start and end; `csrf` gives the CSRF token that
 *   every write (POST, PUT) carries in the X-CSRF-Token header (auth.js keeps it).
 */
export function createApi({ onPending = () => {}, csrf = () => null } = {}) {
  let pending = 0;

  function track(delta) {
    pending = Math.max(0, pending + delta);
    onPending(pending);
  }

  async function request(method, path, params, { signal, body } = {}) {
    const query = new URLSearchParams();
    for (const [key, value] of Object.entries(params ?? {})) {
      if (value !== null && value !== undefined && value !== "") query.set(key, String(value));
    }
    const url = query.toString() ? `${path}?${query}` : path;
    const init = { method, signal, headers: { Accept: "application/json" } };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    if (method !== "GET" && csrf()) init.headers["X-CSRF-Token"] = csrf();
    track(+1);
    try {
      let response;
      try {
        response = await fetch(url, init);
      } catch (err) {
        if (isAbort(err)) throw err;
        throw new ApiError(t("banner.network", { url: path }));
      }
      const answer = await response.json().catch((err) => {
        if (isAbort(err)) throw err; // superseded while the body was arriving
        return null;
      });
      if (!response.ok) throw new ApiError(errorMessage(answer) || t("banner.http", { status: response.status }));
      if (answer === null) throw new ApiError(t("banner.http", { status: response.status }));
      return answer;
    } finally {
      track(-1);
    }
  }

  return {
    /** GET a JSON resource; empty parameters are left out of the query. */
    get: (path, params = {}, { signal } = {}) => request("GET", path, params, { signal }),
    /** POST a JSON body, answer JSON; errors as for get. */
    post: (path, params, body, { signal } = {}) => request("POST", path, params, { signal, body }),
    /** PUT a JSON body, answer JSON; errors as for get. */
    put: (path, params, body, { signal } = {}) => request("PUT", path, params, { signal, body }),
    /** DELETE a resource, answer JSON; errors as for get. */
    del: (path, params = {}) => request("DELETE", path, params, {}),
    /** POST a file as the raw body (application/octet-stream), answer JSON. */
    upload: (path, params, file) => upload(path, params, file),
  };

  async function upload(path, params, file) {
    const query = new URLSearchParams(params);
    const headers = { Accept: "application/json", "Content-Type": "application/octet-stream" };
    if (csrf()) headers["X-CSRF-Token"] = csrf();
    track(+1);
    try {
      let response;
      try {
        response = await fetch(`${path}?${query}`, { method: "POST", headers, body: file });
      } catch {
        throw new ApiError(t("banner.network", { url: path }));
      }
      const answer = await response.json().catch(() => null);
      if (!response.ok) throw new ApiError(errorMessage(answer) || t("banner.http", { status: response.status }));
      return answer;
    } finally {
      track(-1);
    }
  }
}

/** FastAPI errors: {"detail": "text"} or, for validation errors, {"detail": [{"msg": …}]}. */
function errorMessage(body) {
  const detail = body?.detail;
  if (typeof detail === "string") return detail;
  if (Array.isArray(detail)) return detail.map((d) => d?.msg ?? JSON.stringify(d)).join("; ");
  return null;
}
