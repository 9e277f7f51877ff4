/*
 * @module words
 * Breakdown facts in words, per language. The API sends facts (numbers, names, codes; see
 * FACTS.md); this module turns them into sentences with the page's own strings (i18n `facts.*`),
 * numbers formatted by Intl.NumberFormat (nl 1.234 m, en 1,234 m), counted nouns by
 * Intl.PluralRules and category codes in words. It reads fact keys, not criterion names, so a
 * new criterion that reuses the vocabulary is worded without a change here.
 */

import { getLang, has, plural, t } from "./i18n.js";
import * as fmt from "./format.js";

/**
 * One breakdown item as a sentence, e.g. "Dichtstbijzijnde: Amstelveen Centrum (tram), 835 m
 * lopen (geschat), 12 vertrekken per uur". Missing data has its own sentence.
 */
export function explainItem(item, lang = getLang()) {
  if (item.missing) return t("facts.missing", {}, lang);
  return item.facts ? factSentences(item.facts, lang).join("; ") : "";
}

/** An exclusion reason ({criterion}) as "Uitgesloten door: <criterion title>". */
export function explainReason(reason, titleOf, lang = getLang()) {
  return t("facts.excluded_by", { title: titleOf(reason.criterion) }, lang);
}

/** A place in words: "Amstelveen Centrum (tram)", "Rijnstate (ziekenhuis)". */
function placeName(place, lang = getLang()) {
  const name = place?.name || place?.id || t("facts.unnamed", {}, lang);
  return place?.category ? `${name} (${fmt.category(place.category, lang)})` : name;
}

/** The sentences of a facts object, in the order of the vocabulary. */
function factSentences(facts, lang) {
  if ("inside" in facts) return [inside(facts, lang)];
  return [
    "nearest" in facts ? nearest(facts.nearest, lang) : null,
    "count" in facts ? count(facts, lang) : null,
    "zoning" in facts ? zoning(facts.zoning, lang) : null,
    "places" in facts ? places(facts.places, facts.min_places, lang) : null,
    "areas" in facts ? areas(facts.areas, lang) : null,
  ].filter(Boolean);
}

/** `nearest`: name and category, walking (or straight-line) metres, departures for stops. */
function nearest(place, lang) {
  if (!place) return t("facts.nearest_none", {}, lang);
  const name = placeName(place, lang);
  let text = name;
  if (fmt.isNumber(place.walk_m)) {
    text = t("facts.nearest", { place: name, walk: fmt.metres(place.walk_m, lang) }, lang);
  } else if (fmt.isNumber(place.distance_m)) {
    text = t("facts.nearest_straight", { place: name, distance: fmt.metres(place.distance_m, lang) }, lang);
  }
  if (!("departures_per_hour" in place)) return text;
  const perHour = place.departures_per_hour;
  if (!fmt.isNumber(perHour)) return `${text}, ${t("facts.timetable_unknown", {}, lang)}`;
  const shown = Math.round(perHour * 10) / 10; // as displayed, so the plural agrees with it
  const n = fmt.number(shown, Number.isInteger(shown) ? 0 : 1, lang);
  return `${text}, ${plural("facts.departures", shown, { n }, lang)}`;
}

/**
 * `count` + `radius_m`: "3 zorgvoorzieningen binnen 1.000 m" when the page has words for the
 * `layer` counted (i18n `facts.count.<layer>`), else "3 voorzieningen binnen 1.000 m".
 */
function count(facts, lang) {
  const n = fmt.isNumber(facts.count) ? Math.round(facts.count) : 0;
  const own = facts.layer ? `facts.count.${facts.layer}` : null;
  const key = own && has(`${own}.other`, lang) ? own : "facts.count";
  return plural(key, n, { n: fmt.number(n, 0, lang), radius: fmt.metres(facts.radius_m, lang) }, lang);
}

/**
 * `zoning`: the plan's name for the zone (with the class when it says something else), the
 * plan that decided, with its planstatus and date when known.
 */
function zoning(zone, lang) {
  if (!zone) return t("facts.zoning_none", {}, lang);
  const title = zone.name || zone.class || "?";
  const name = zone.class && zone.name && zone.class.toLowerCase() !== zone.name.toLowerCase()
    ? `${title} (${zone.class})`
    : title;
  if (!zone.plan) return t("facts.zoning", { name }, lang);
  if (!zone.plan_status) return t("facts.zoning_plan", { name, plan: zone.plan }, lang);
  const date = zone.plan_date ? fmt.date(zone.plan_date, lang) : "?";
  return t("facts.zoning_plan_status", { name, plan: zone.plan, status: zone.plan_status, date }, lang);
}

/** `places` (+ `min_places`): "Geschat 25 plaatsen", "…: minder dan het minimum van 1", or unknown. */
function places(value, min, lang) {
  if (!fmt.isNumber(value)) return t("facts.places_unknown", {}, lang);
  const n = Math.round(value);
  const text = plural("facts.places", n, { n: fmt.number(n, 0, lang) }, lang);
  return fmt.isNumber(min) && value < min ? `${text}: ${t("facts.places_too_small", { min }, lang)}` : text;
}

/** `inside` (polygon constraints): the area it lies in, else the nearest one and how far. */
function inside(facts, lang) {
  if (facts.inside) return t("facts.inside", { area: placeName(facts.area, lang) }, lang);
  if (facts.nearest) {
    const distance = fmt.metres(facts.nearest.distance_m ?? facts.nearest.walk_m, lang);
    return t("facts.outside_nearest", { area: placeName(facts.nearest, lang), distance }, lang);
  }
  if (fmt.isNumber(facts.search_radius_m)) {
    return t("facts.outside_none", { radius: fmt.metres(facts.search_radius_m, lang) }, lang);
  }
  return t("facts.outside", {}, lang);
}

/**
 * `areas` (constraint hits, zoning overlays): "Ligt in: Veluwe (natura2000) en Waterwingebied";
 * an overlay that lowers the zoning value with its factor: "Leiding - Gas (leiding) × 0,4".
 */
function areas(hits, lang) {
  if (!Array.isArray(hits) || !hits.length) return t("facts.areas_none", {}, lang);
  const named = hits.map((a) => {
    const name = placeName(a, lang);
    if (!fmt.isNumber(a.factor) || a.factor >= 1) return name;
    const tenths = Math.abs(a.factor * 10 - Math.round(a.factor * 10)) < 1e-9;
    return `${name} ${t("facts.factor", { factor: fmt.number(a.factor, tenths ? 1 : 2, lang) }, lang)}`;
  });
  return t("facts.areas", { list: fmt.list(named, lang) }, lang);
}
