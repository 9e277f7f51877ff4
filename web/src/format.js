/*
 * @module format
 * Numbers, distances, areas, dates and category codes as text in the current language
 * (Intl.NumberFormat: Dutch 1.234,5, English 1,234.5). Every figure the page shows goes
 * through here; the wording of breakdown facts builds on it (words.js).
 */

import { t, has, locale, getLang } from "./i18n.js";

export function isNumber(value) {
  return typeof value === "number" && Number.isFinite(value);
}

const numberFormats = new Map();

function numberFormat(lang, digits) {
  const key = `${lang}:${digits}`;
  if (!numberFormats.has(key)) {
    numberFormats.set(
      key,
      new Intl.NumberFormat(locale(lang), { minimumFractionDigits: digits, maximumFractionDigits: digits }),
    );
  }
  return numberFormats.get(key);
}

/** A number with exactly `digits` decimals, grouped (nl: 1.234,50; en: 1,234.50); "–" if none. */
export function number(value, digits = 0, lang = getLang()) {
  return isNumber(value) ? numberFormat(lang, digits).format(value) : "–";
}

/** A score 0–1 with two decimals. */
export function score(value) {
  return isNumber(value) ? number(value, 2) : "–";
}

/** A fraction 0–1 as a whole percentage. */
export function percent(fraction) {
  return isNumber(fraction) ? `${number(fraction * 100, 0)}%` : "–";
}

/** Metres, short: 835 m, 1,7 km, 12 km (for figures beside a bar). */
export function distance(m) {
  if (!isNumber(m)) return "–";
  if (m < 1000) return `${number(m, 0)} m`;
  return `${number(m / 1000, m < 10000 ? 1 : 0)} km`;
}

/** Whole metres, grouped: nl 1.234 m, en 1,234 m (in sentences, as measured). */
export function metres(m, lang = getLang()) {
  return isNumber(m) ? `${number(Math.round(m), 0, lang)} ${t("unit.m", {}, lang)}` : "?";
}

/** Square metres, with hectares from 1 ha: 12.345 m² (1,23 ha). */
export function area(m2) {
  if (!isNumber(m2)) return t("detail.unknown");
  const base = `${number(m2, 0)} ${t("unit.m2")}`;
  return m2 >= 10000 ? `${base} (${number(m2 / 10000, 2)} ha)` : base;
}

/**
 * The measured value behind a criterion, e.g. 412.5 "m" → "413 m". Counts, classes, places and
 * areas are left out (""): their explanation already says "3 care facilities within 1,000 m"
 * or "estimated 70 places", and a bare number next to the weight would only confuse.
 */
export function raw(value, unit) {
  if (value === null || value === undefined || value === "") return "";
  if (["count", "class", "places", "areas"].includes(unit)) return "";
  if (typeof value === "string") return value;
  if (typeof value === "boolean") return value ? "✓" : "✗";
  if (!isNumber(value)) return "";
  if (unit === "m") return distance(value);
  if (unit === "m2" || unit === "m²") return `${number(value, 0)} ${t("unit.m2")}`;
  const digits = Number.isInteger(value) ? 0 : Math.abs(value) < 10 ? 2 : 0;
  return unit ? `${number(value, digits)} ${unit}` : number(value, digits);
}

/** "2023-01-01" → "1 jan. 2023" (nl) / "1 Jan 2023" (en); anything else unchanged. */
export function date(value, lang = getLang()) {
  if (!value) return "";
  const match = /^(\d{4})-(\d{2})-(\d{2})/.exec(String(value));
  if (!match) return String(value);
  const day = new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])));
  return new Intl.DateTimeFormat(locale(lang), { day: "numeric", month: "short", year: "numeric", timeZone: "UTC" }).format(
    day,
  );
}

/** A category code in words: i18n `category.<code>`, else the code with spaces ("outpatient clinic"). */
export function category(code, lang = getLang()) {
  if (!code) return "";
  const key = `category.${code}`;
  return has(key, lang) ? t(key, {}, lang) : String(code).replace(/_/g, " ");
}

/** Names as a list in the language: nl "A, B en C", en "A, B and C". */
export function list(items, lang = getLang()) {
  return new Intl.ListFormat(locale(lang), { style: "long", type: "conjunction" }).format(items);
}
