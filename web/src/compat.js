/*
 * @module compat
 *
 * ==========================================================================================
 *  PRE-FACTS FALLBACK: delete this module (and its imports in words.js, breakdown.js and
 *  detail.js, each marked "PRE-FACTS FALLBACK") once the API sends `facts` (FACTS.md).
 * ==========================================================================================
 *
 * Until then the server sends what it sent before the facts contract: finished sentences per
 * breakdown item (`explanation: {nl, en}`), exclusion reasons as sentences (`{nl, en}` instead
 * of `{criterion}`), the nearest places as `nearest_stop` / `nearest_care` /
 * `nearest_supermarket` (their `distance_m` is the estimated walk) and a `title` on each item.
 * Every read of those old shapes is here, so the page works before and after the scoring branch
 * lands and the old shapes can go in one deletion.
 */

import { pick } from "./i18n.js";

/** The server's own sentence for a breakdown item that has no `facts` yet. */
export function legacyExplanation(item, lang) {
  return item.explanation ? pick(item.explanation, lang) : "";
}

/** An exclusion reason that is still a finished sentence ({nl, en}); null for a `{criterion}`. */
export function legacyReason(reason, lang) {
  if (typeof reason === "string") return reason;
  if (reason && typeof reason === "object" && !("criterion" in reason)) return pick(reason, lang);
  return null;
}

/** `properties.nearest` ({stop, care, supermarket}), built from the old separate keys if absent. */
export function legacyNearest(props) {
  if (props.nearest && typeof props.nearest === "object") return props.nearest;
  const walk = (old) => (old ? { name: old.name, category: old.category, walk_m: old.distance_m } : null);
  const nearest = { stop: walk(props.nearest_stop), care: walk(props.nearest_care) };
  if ("nearest_supermarket" in props) nearest.supermarket = walk(props.nearest_supermarket);
  return nearest;
}

/** A criterion title carried on the item itself, for when /api/profiles did not answer. */
export function legacyTitle(item, lang) {
  return pick(item.title, lang);
}
