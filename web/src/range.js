/*
 * @module range
 * A score with the range its missing data leave open (API `score_low` / `score_high`, each
 * missing criterion at 0 resp. 1; docs/scoring.md section 3): a bar 0–1 whose full colour
 * reaches the lowest possible score, whose pale hatched part reaches the highest, with a tick
 * at the point score. Used by the list rows, the detail panel and the own site, with the words
 * for it per language. A score is *uncertain* when the API says it is not `solid` (less than
 * `solid_completeness` of the weight has data): the list and the map draw it paler.
 */

import { h } from "./dom.js";
import * as fmt from "./format.js";
import { t } from "./i18n.js";
import { scoreColour } from "./symbols.js";

const clamp = (value) => Math.max(0, Math.min(1, value));

/** Does a site's score carry a range (and is it scored at all)? */
export function hasRange(props) {
  return fmt.isNumber(props?.score) && fmt.isNumber(props?.score_low) && fmt.isNumber(props?.score_high);
}

/** The completeness from which a score is solid, as GET /api/sites says (0.6 until it has). */
export function solidShare(state) {
  return fmt.isNumber(state?.sites?.solid_completeness) ? state.sites.solid_completeness : 0.6;
}

/** Less than the solid share of the weight has data: the score says little. */
export function isUncertain(props) {
  return hasRange(props) && props.solid === false;
}

/** "0,67–0,92" (nl) / "0.67–0.92" (en). */
export function rangeText(props) {
  return hasRange(props) ? `${fmt.score(props.score_low)}–${fmt.score(props.score_high)}` : "";
}

/** "bereik 0,67–0,92, 75% van het gewicht bekend": for titles and screen readers. */
export function rangeLabel(props) {
  if (!hasRange(props)) return "";
  return t("range.label", { range: rangeText(props), pct: fmt.percent(props.completeness) });
}

/**
 * The range bar of a scored site (null when it has no score): `large` for the detail panel.
 * Its parts carry their share as a width so a test (or a person with the inspector) can read
 * the numbers back.
 */
export function rangeBar(props, { large = false } = {}) {
  if (!hasRange(props)) return null;
  const low = clamp(props.score_low);
  const high = clamp(props.score_high);
  const point = clamp(props.score);
  const colour = scoreColour(props.score);
  const pct = (value) => `${(value * 100).toFixed(1)}%`;
  return h(
    "span",
    {
      class: ["range-bar", large ? "is-large" : null, isUncertain(props) ? "is-uncertain" : null]
        .filter(Boolean)
        .join(" "),
      role: "img",
      "aria-label": rangeLabel(props),
      title: rangeLabel(props),
      dataset: { low: String(props.score_low), high: String(props.score_high) },
    },
    h("span", { class: "range-known", style: { width: pct(low), background: colour } }),
    h("span", { class: "range-open", style: { left: pct(low), width: pct(high - low), "--range-colour": colour } }),
    h("span", { class: "range-point", style: { left: pct(point) } }),
  );
}
