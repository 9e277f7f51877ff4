/*
 * @module banner
 * The error banner over the map: one message at a time, closed by its button.
 */

import { $ } from "./dom.js";
import { ApiError, isAbort } from "./api.js";

/** Show what went wrong (aborted requests are not errors: they were superseded). */
export function showError(err) {
  if (isAbort(err)) return;
  console.warn(err); // for developers; users get the banner
  $("#banner-text").textContent = err instanceof ApiError ? err.message : String(err?.message ?? err);
  $("#banner").hidden = false;
}

export function hideBanner() {
  $("#banner").hidden = true;
}

export function wireBanner() {
  $("#banner-close").addEventListener("click", hideBanner);
}
