/*
 * @module breakdown
 * The score's parts in the detail panel: why a site is excluded, one row per scoring
 * criterion (bar, weight, contribution, the measured value and its explanation in words) and
 * the constraints (no bar, no weight: "no obstacle" or "excludes"). Criterion titles come from
 * /api/profiles; the words from the breakdown facts (words.js).
 */

import { h } from "./dom.js";
import * as fmt from "./format.js";
import { t } from "./i18n.js";
import { criterionTitle } from "./weights.js";
import { explainItem, explainReason } from "./words.js";
import { scoreColour } from "./symbols.js";

/** "Openbaar vervoer": the catalogue's title of a breakdown item's criterion. */
function itemTitle(state, item) {
  return criterionTitle(state, item.criterion) || item.criterion;
}

/** Is this breakdown item an exclusion-only criterion (Natura 2000, other constraints)? */
function isConstraint(state, item) {
  const criterion = state.profiles?.criteria?.find((c) => c.name === item.criterion);
  return criterion ? Boolean(criterion.constraint) : item.unit === "areas" || item.criterion === "natura2000";
}

function explanation(item) {
  const text = explainItem(item);
  return text ? h("p", { class: "breakdown-explanation" }, text) : null;
}

/** "Waarom uitgesloten": one line per excluding criterion. */
export function reasonsSection(state, props) {
  const reasons = Array.isArray(props.reasons) ? props.reasons : [];
  if (!reasons.length) return null;
  const titleOf = (name) => criterionTitle(state, name) || name;
  return h(
    "section",
    { class: "detail-section detail-reasons", "aria-label": t("detail.excluded_heading") },
    h("h3", {}, t("detail.excluded_heading")),
    h("ul", {}, reasons.map((reason) => h("li", {}, explainReason(reason, titleOf)))),
  );
}

/** The scoring criteria: bar, weight share, contribution, measured value, explanation. */
export function breakdownSection(state, breakdown) {
  const items = breakdown.filter((item) => !isConstraint(state, item));
  if (!items.length) return null;
  // Weights arrive as given (custom weights need not add up to 1): show each as a share.
  const total = items.reduce((sum, item) => sum + (fmt.isNumber(item.weight) ? item.weight : 0), 0);
  return h(
    "section",
    { class: "detail-section" },
    h("h3", {}, t("detail.breakdown")),
    h("p", { class: "muted small" }, t("detail.breakdown_hint")),
    h("ul", { class: "breakdown", id: "detail-breakdown" }, items.map((item) => breakdownRow(state, item, total))),
  );
}

function breakdownRow(state, item, total) {
  const missing = Boolean(item.missing) || !fmt.isNumber(item.value);
  const unweighted = !(item.weight > 0);
  const title = itemTitle(state, item);
  const raw = fmt.raw(item.raw, item.unit);
  const share = total > 0 && fmt.isNumber(item.weight) ? item.weight / total : item.weight;
  let weights = t("detail.weight", { w: fmt.percent(share) });
  if (unweighted) weights = t("detail.weight_zero");
  else if (fmt.isNumber(item.effective_weight) && Math.abs(item.effective_weight - share) > 0.005) {
    weights = t("detail.weight_eff", { w: fmt.percent(share), e: fmt.percent(item.effective_weight) });
  }

  const bar = missing
    ? h("span", { class: "breakdown-nodata" }, t("detail.no_data"))
    : h(
        "span",
        { class: "breakdown-bar", role: "img", "aria-label": `${title}: ${fmt.score(item.value)}` },
        h("span", {
          class: "breakdown-bar-fill",
          style: { width: `${Math.max(0, Math.min(1, item.value)) * 100}%`, background: scoreColour(item.value) },
        }),
      );

  // Missing data: the explanation says it does not count and the others weigh more.
  let figures = [h("span", {}, weights), h("span", {}, t("detail.contribution", { c: fmt.score(item.contribution) }))];
  if (unweighted) figures = [h("span", {}, weights)];
  else if (missing) figures = [];

  const classes = [
    "breakdown-row",
    missing ? "is-missing" : null,
    unweighted ? "is-unweighted" : null,
    item.excluded ? "is-excluding" : null,
  ];
  return h(
    "li",
    { class: classes.filter(Boolean).join(" "), dataset: { criterion: item.criterion ?? "" } },
    h(
      "div",
      { class: "breakdown-head" },
      h(
        "span",
        { class: "breakdown-title" },
        title,
        item.excluded ? h("span", { class: "tag tag-warn" }, t("detail.criterion_excluded")) : null,
      ),
      h("span", { class: "breakdown-value" }, missing ? "" : fmt.score(item.value)),
    ),
    bar,
    h("div", { class: "breakdown-figures" }, raw ? h("span", {}, raw) : null, ...figures),
    explanation(item),
  );
}

/** Natura 2000 and other constraints: no bar and no weight, only "no obstacle" or "excludes". */
export function constraintsSection(state, breakdown) {
  const items = breakdown.filter((item) => isConstraint(state, item));
  if (!items.length) return null;
  const row = (item) => {
    let status = h("span", { class: "tag tag-ok" }, t("detail.constraint_ok"));
    if (item.excluded) status = h("span", { class: "tag tag-warn" }, t("detail.criterion_excluded"));
    else if (item.missing) status = h("span", { class: "tag tag-muted" }, t("detail.no_data"));
    return h(
      "li",
      {
        class: `breakdown-row constraint-row${item.excluded ? " is-excluding" : ""}`,
        dataset: { criterion: item.criterion ?? "" },
      },
      h("div", { class: "breakdown-head" }, h("span", { class: "breakdown-title" }, itemTitle(state, item)), status),
      explanation(item),
    );
  };
  return h(
    "section",
    { class: "detail-section detail-constraints" },
    h("h3", {}, t("detail.constraints")),
    h("p", { class: "muted small" }, t("detail.constraints_hint")),
    h("ul", { class: "constraints" }, items.map(row)),
  );
}
