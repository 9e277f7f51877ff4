/*
 * @module i18n
 * User-interface strings, Dutch first, English available, and the current language.
 *
 * Static text in index.html carries data-i18n="key" (text content) or
 * data-i18n-attr="attribute:key;attribute:key" (attributes such as aria-label, title); dynamic
 * text is built with t(key, params). Words that belong to the data (site kinds, criterion and
 * layer titles) come from the API's catalogue, not from here. The language itself is part of the
 * page state (store key `lang`); main.js hands every change to setLang() before anything
 * re-renders, so t() and locale() always answer in the language the store holds.
 */

const STORAGE_KEY = "sitefinder.lang";
export const LANGUAGES = ["nl", "en"];
const DEFAULT_LANG = "nl";

const STRINGS = {
  nl: {
    "app.title": "Woonplek Sitefinder",
    "app.subtitle": "Locaties voor snelle huisvesting van dak- en thuislozen en statushouders",
    "lang.label": "Taal",
    "lang.switch_nl": "Nederlands",
    "lang.switch_en": "English",
    "status.loading": "Laden…",
    "banner.close": "Melding sluiten",
    "banner.network": "Geen verbinding met de server ({url}).",
    "banner.http": "De server gaf een fout ({status}).",

    "profile.heading": "Profiel",
    "profile.label": "Doelgroep",
    "profile.unavailable": "Profielen niet beschikbaar",

    "weights.heading": "Gewichten aanpassen",
    "weights.hint": "Lijst en kaart volgen direct; % = aandeel in de score.",
    "weights.custom": "Eigen weging",
    "weights.reset": "Terug naar profiel",
    "weights.share_title": "Aandeel in de score na normalisatie (alle gewichten samen 100%)",
    "weights.valuetext": "{value}, aandeel {share}",
    "weights.all_zero": "Alle gewichten staan op 0: de rangorde volgt het profiel.",
    "weights.constraints": "Zonder gewicht, sluiten alleen uit: {list}.",

    "filters.heading": "Filters",
    "filters.kind": "Soort locatie",
    "filters.kind_all": "Alle soorten",
    "filters.gemeente": "Gemeente",
    "filters.gemeente_all": "Alle gemeenten",
    "filters.min_score": "Minimale score",
    "filters.include_excluded": "Toon uitgesloten locaties",
    "filters.reset": "Filters wissen",

    "facts.missing": "Geen gegevens hier: dit criterium telt niet mee en de andere wegen zwaarder.",
    "facts.nearest": "Dichtstbijzijnde: {place}, {walk} lopen (geschat)",
    "facts.nearest_straight": "Dichtstbijzijnde: {place}, {distance} hemelsbreed",
    "facts.nearest_none": "Niets gevonden",
    "facts.departures.one": "{n} vertrek per uur",
    "facts.departures.other": "{n} vertrekken per uur",
    "facts.timetable_unknown": "dienstregeling onbekend",
    "facts.count.one": "{n} voorziening binnen {radius}",
    "facts.count.other": "{n} voorzieningen binnen {radius}",
    "facts.zoning": "Bestemming ‘{name}’",
    "facts.zoning_plan": "Bestemming ‘{name}’ in plan {plan}",
    "facts.zoning_plan_status": "Bestemming ‘{name}’ in plan {plan} ({status}, {date})",
    "facts.factor": "× {factor}",
    "facts.zoning_none": "Geen bestemming gevonden",
    "facts.places.one": "Geschat {n} plaats",
    "facts.places.other": "Geschat {n} plaatsen",
    "facts.places_unknown": "Aantal plaatsen onbekend",
    "facts.inside": "Ligt in {area}",
    "facts.outside_nearest": "Ligt erbuiten; dichtstbijzijnde gebied: {area} op {distance}",
    "facts.outside_none": "Ligt erbuiten; geen gebied binnen {radius}",
    "facts.outside": "Ligt erbuiten",
    "facts.areas": "Ligt in: {list}",
    "facts.areas_none": "Ligt in geen van deze gebieden",
    "facts.excluded_by": "Uitgesloten door: {title}",
    "facts.unnamed": "zonder naam",

    "category.rail": "trein",
    "category.metro": "metro",
    "category.tram": "tram",
    "category.bus": "bus",
    "category.ferry": "veer",
    "category.hospital": "ziekenhuis",
    "category.outpatient_clinic": "polikliniek",
    "category.gp": "huisarts",
    "category.clinic": "kliniek",
    "category.pharmacy": "apotheek",
    "category.social_facility": "maatschappelijke opvang",
    "category.mental_health": "ggz",
    "category.supermarket": "supermarkt",

    "list.heading": "Locaties in beeld",
    "list.count": "{n} locaties in beeld",
    "list.count_one": "1 locatie in beeld",
    "list.count_shown": "top {shown} van {n} getoond; zoom in voor meer",
    "list.empty": "Geen locaties in dit kaartbeeld met deze filters.",
    "list.empty_hint": "Zoom uit of verlaag de minimale score.",
    "list.error": "De locaties konden niet worden geladen.",
    "list.rank": "Rang",
    "list.excluded": "uitgesloten",
    "list.missing": "{n} criteria zonder gegevens",
    "list.missing_one": "1 criterium zonder gegevens",
    "list.row_label": "{rank}. {name}, {kind}, {gemeente}, score {score}",
    "list.row_label_excluded": "{name}, {kind}, {gemeente}, uitgesloten",
    "list.row_stability": "in de top {k} bij {pct} van de variaties",
    "list.moved_up": "{n} plaats(en) gestegen (was {was})",
    "list.moved_down": "{n} plaats(en) gedaald (was {was})",
    "list.moved_new": "nieuw in de lijst",

    "stability.title": "In {pct} van de variaties (gewichten ±20%) in de top {k}",

    "layers.heading": "Kaartlagen",
    "layers.group.criterion": "Criteria",
    "layers.group.constraint": "Beperkingen",
    "layers.group.boundary": "Grenzen",
    "layers.group.reference": "Referentie",
    "layers.source": "bron: {source}, stand {date}",
    "layers.source_nodate": "bron: {source}",
    "layers.not_loaded": "niet geladen",
    "layers.no_data_here": "geen gegevens in dit gebied",
    "layers.truncated": "{shown} van {total} getoond; zoom in",
    "layers.count": "{n} in beeld",
    "layers.features": "{n} objecten",
    "layers.licence": "licentie: {licence}",
    "layers.publisher": "uitgever: {publisher}",

    "legend.heading": "Score",
    "legend.excluded": "uitgesloten",
    "legend.kinds": "Soort",
    "legend.basemap_offline": "Achtergrondkaart niet beschikbaar",

    "detail.close": "Detailpaneel sluiten",
    "detail.zoom": "Zoom naar locatie",
    "detail.loading": "Gegevens laden…",
    "detail.score": "Score",
    "detail.rank": "rang {rank} van alle locaties",
    "detail.rank_list": "nr. {rank} in de lijst",
    "detail.profile": "Profiel: {profile}",
    "detail.profile_custom": "Profiel: {profile}, eigen weging",
    "detail.stability": "van de variaties (gewichten ±20%) in de top {k}",
    "detail.excluded": "Uitgesloten",
    "detail.excluded_heading": "Waarom uitgesloten",
    "detail.breakdown": "Opbouw van de score",
    "detail.breakdown_hint": "Balk = waardering per criterium (0–1); gewicht en bijdrage aan de score staan ernaast.",
    "detail.weight": "gewicht {w}",
    "detail.weight_eff": "gewicht {w} (na herweging {e})",
    "detail.contribution": "bijdrage {c}",
    "detail.no_data": "geen gegevens hier",
    "detail.no_data_note": "telt niet mee; de overige gewichten zijn herverdeeld",
    "detail.criterion_excluded": "sluit uit",
    "detail.weight_zero": "gewicht 0: telt niet mee",
    "detail.constraints": "Uitsluitingscriteria",
    "detail.constraints_hint": "Tellen niet mee in de score; ze sluiten een locatie alleen uit.",
    "detail.constraint_ok": "geen belemmering",
    "detail.surroundings": "Omgeving",
    "detail.nearest_stop": "Dichtstbijzijnde halte",
    "detail.nearest_care": "Dichtstbijzijnde zorgvoorziening",
    "detail.nearest_supermarket": "Dichtstbijzijnde supermarkt",
    "detail.none_found": "niet gevonden",
    "detail.size": "Omvang",
    "detail.area": "Oppervlakte perceel/terrein",
    "detail.floor_area": "Vloeroppervlak",
    "detail.places": "Geschatte plaatsen",
    "detail.unknown": "onbekend",
    "detail.sources": "Bronnen",
    "detail.as_of": "stand {date}",
    "detail.licence": "licentie {licence}",
    "detail.props": "Brongegevens",
    "detail.id": "Kenmerk",
    "detail.gemeente": "Gemeente",
    "detail.missing": "Geen gegevens voor: {list}",

    "unit.m": "m",
    "unit.m2": "m²",
    "unit.places": "plaatsen",

    "adhoc.start": "Beoordeel een eigen locatie",
    "adhoc.start_title": "Klik daarna een punt op de kaart of teken een vlak (Esc = annuleren)",
    "adhoc.mode": "Vorm",
    "adhoc.mode_point": "Punt",
    "adhoc.mode_polygon": "Vlak",
    "adhoc.hint_point": "Klik op de kaart om dat punt te beoordelen.",
    "adhoc.hint_polygon": "Klik de hoekpunten; dubbelklik of klik op het eerste punt om af te sluiten.",
    "adhoc.hint_more": "Minstens 3 hoekpunten nodig ({n} gezet). Dubbelklik op het laatste punt om af te sluiten.",
    "adhoc.places": "Aantal plaatsen (optioneel)",
    "adhoc.finish": "Vlak afsluiten",
    "adhoc.cancel": "Annuleren (Esc)",
    "adhoc.kind": "Eigen locatie",
    "adhoc.name": "Eigen locatie",
    "adhoc.point": "Punt op de kaart",
    "adhoc.polygon": "Getekend vlak",
    "adhoc.where_point": "{lat}° NB, {lon}° OL",
    "adhoc.note": "Deze locatie staat niet in de database. Ze is beoordeeld met dezelfde criteria en weging als de lijst; een rang heeft ze niet.",
    "adhoc.again": "Andere locatie",
    "adhoc.error": "Deze locatie kon niet worden beoordeeld: {message}",

    "map.label": "Kaart met locaties",
  },
  en: {
    "app.title": "Woonplek Sitefinder",
    "app.subtitle": "Sites for quickly housing homeless people and refugees with a residence permit",
    "lang.label": "Language",
    "lang.switch_nl": "Nederlands",
    "lang.switch_en": "English",
    "status.loading": "Loading…",
    "banner.close": "Dismiss message",
    "banner.network": "Cannot reach the server ({url}).",
    "banner.http": "The server returned an error ({status}).",

    "profile.heading": "Profile",
    "profile.label": "Target group",
    "profile.unavailable": "Profiles not available",

    "weights.heading": "Adjust weights",
    "weights.hint": "List and map follow at once; % = share of the score.",
    "weights.custom": "Custom weights",
    "weights.reset": "Reset to profile",
    "weights.share_title": "Share of the score after normalisation (all weights together 100%)",
    "weights.valuetext": "{value}, share {share}",
    "weights.all_zero": "All weights are 0: the ranking follows the profile.",
    "weights.constraints": "No weight, only exclude: {list}.",

    "filters.heading": "Filters",
    "filters.kind": "Kind of site",
    "filters.kind_all": "All kinds",
    "filters.gemeente": "Municipality",
    "filters.gemeente_all": "All municipalities",
    "filters.min_score": "Minimum score",
    "filters.include_excluded": "Show excluded sites",
    "filters.reset": "Clear filters",

    "facts.missing": "No data here: this criterion is left out and the others weigh more.",
    "facts.nearest": "Nearest: {place}, {walk} walking (estimate)",
    "facts.nearest_straight": "Nearest: {place}, {distance} as the crow flies",
    "facts.nearest_none": "None found",
    "facts.departures.one": "{n} departure per hour",
    "facts.departures.other": "{n} departures per hour",
    "facts.timetable_unknown": "timetable unknown",
    "facts.count.one": "{n} facility within {radius}",
    "facts.count.other": "{n} facilities within {radius}",
    "facts.zoning": "Zoned ‘{name}’",
    "facts.zoning_plan": "Zoned ‘{name}’ in plan {plan}",
    "facts.zoning_plan_status": "Zoned ‘{name}’ in plan {plan} ({status}, {date})",
    "facts.factor": "× {factor}",
    "facts.zoning_none": "No zoning found",
    "facts.places.one": "Estimated {n} place",
    "facts.places.other": "Estimated {n} places",
    "facts.places_unknown": "Number of places unknown",
    "facts.inside": "Lies in {area}",
    "facts.outside_nearest": "Outside; nearest area: {area} at {distance}",
    "facts.outside_none": "Outside; no area within {radius}",
    "facts.outside": "Outside",
    "facts.areas": "Lies in: {list}",
    "facts.areas_none": "Lies in none of these areas",
    "facts.excluded_by": "Excluded by: {title}",
    "facts.unnamed": "unnamed",

    "category.rail": "train",
    "category.metro": "metro",
    "category.tram": "tram",
    "category.bus": "bus",
    "category.ferry": "ferry",
    "category.hospital": "hospital",
    "category.outpatient_clinic": "outpatient clinic",
    "category.gp": "GP",
    "category.clinic": "clinic",
    "category.pharmacy": "pharmacy",
    "category.social_facility": "social facility",
    "category.mental_health": "mental health care",
    "category.supermarket": "supermarket",

    "list.heading": "Sites in view",
    "list.count": "{n} sites in view",
    "list.count_one": "1 site in view",
    "list.count_shown": "top {shown} of {n} shown; zoom in for more",
    "list.empty": "No sites in this map view with these filters.",
    "list.empty_hint": "Zoom out or lower the minimum score.",
    "list.error": "The sites could not be loaded.",
    "list.rank": "Rank",
    "list.excluded": "excluded",
    "list.missing": "{n} criteria without data",
    "list.missing_one": "1 criterion without data",
    "list.row_label": "{rank}. {name}, {kind}, {gemeente}, score {score}",
    "list.row_label_excluded": "{name}, {kind}, {gemeente}, excluded",
    "list.row_stability": "in the top {k} in {pct} of variations",
    "list.moved_up": "up {n} place(s) (was {was})",
    "list.moved_down": "down {n} place(s) (was {was})",
    "list.moved_new": "new in the list",

    "stability.title": "In the top {k} in {pct} of variations (weights ±20%)",

    "layers.heading": "Map layers",
    "layers.group.criterion": "Criteria",
    "layers.group.constraint": "Constraints",
    "layers.group.boundary": "Boundaries",
    "layers.group.reference": "Reference",
    "layers.source": "source: {source}, as of {date}",
    "layers.source_nodate": "source: {source}",
    "layers.not_loaded": "not loaded",
    "layers.no_data_here": "no data in this area",
    "layers.truncated": "{shown} of {total} shown; zoom in",
    "layers.count": "{n} in view",
    "layers.features": "{n} features",
    "layers.licence": "licence: {licence}",
    "layers.publisher": "publisher: {publisher}",

    "legend.heading": "Score",
    "legend.excluded": "excluded",
    "legend.kinds": "Kind",
    "legend.basemap_offline": "Background map unavailable",

    "detail.close": "Close detail panel",
    "detail.zoom": "Zoom to site",
    "detail.loading": "Loading details…",
    "detail.score": "Score",
    "detail.rank": "rank {rank} of all sites",
    "detail.rank_list": "no. {rank} in the list",
    "detail.profile": "Profile: {profile}",
    "detail.profile_custom": "Profile: {profile}, custom weights",
    "detail.stability": "of variations (weights ±20%) in the top {k}",
    "detail.excluded": "Excluded",
    "detail.excluded_heading": "Why excluded",
    "detail.breakdown": "Score breakdown",
    "detail.breakdown_hint": "Bar = rating per criterion (0–1); weight and contribution to the score next to it.",
    "detail.weight": "weight {w}",
    "detail.weight_eff": "weight {w} (renormalised {e})",
    "detail.contribution": "contribution {c}",
    "detail.no_data": "no data here",
    "detail.no_data_note": "not counted; the other weights were renormalised",
    "detail.criterion_excluded": "excludes",
    "detail.weight_zero": "weight 0: not counted",
    "detail.constraints": "Exclusion criteria",
    "detail.constraints_hint": "Not part of the score; they only exclude a site.",
    "detail.constraint_ok": "no obstacle",
    "detail.surroundings": "Surroundings",
    "detail.nearest_stop": "Nearest stop",
    "detail.nearest_care": "Nearest care facility",
    "detail.nearest_supermarket": "Nearest supermarket",
    "detail.none_found": "none found",
    "detail.size": "Size",
    "detail.area": "Plot/site area",
    "detail.floor_area": "Floor area",
    "detail.places": "Estimated places",
    "detail.unknown": "unknown",
    "detail.sources": "Sources",
    "detail.as_of": "as of {date}",
    "detail.licence": "licence {licence}",
    "detail.props": "Source attributes",
    "detail.id": "Identifier",
    "detail.gemeente": "Municipality",
    "detail.missing": "No data for: {list}",

    "unit.m": "m",
    "unit.m2": "m²",
    "unit.places": "places",

    "adhoc.start": "Score your own site",
    "adhoc.start_title": "Then click a point on the map or draw a polygon (Esc = cancel)",
    "adhoc.mode": "Shape",
    "adhoc.mode_point": "Point",
    "adhoc.mode_polygon": "Polygon",
    "adhoc.hint_point": "Click on the map to score that point.",
    "adhoc.hint_polygon": "Click the corners; double-click or click the first corner to finish.",
    "adhoc.hint_more": "At least 3 corners needed ({n} placed). Double-click the last corner to finish.",
    "adhoc.places": "Number of places (optional)",
    "adhoc.finish": "Finish polygon",
    "adhoc.cancel": "Cancel (Esc)",
    "adhoc.kind": "Own site",
    "adhoc.name": "Own site",
    "adhoc.point": "Point on the map",
    "adhoc.polygon": "Drawn polygon",
    "adhoc.where_point": "{lat}° N, {lon}° E",
    "adhoc.note": "This site is not in the database. It was scored with the same criteria and weights as the list; it has no rank.",
    "adhoc.again": "Another site",
    "adhoc.error": "This site could not be scored: {message}",

    "map.label": "Map of sites",
  },
};

let currentLang = readStoredLang();

function readStoredLang() {
  try {
    const stored = window.localStorage.getItem(STORAGE_KEY);
    return LANGUAGES.includes(stored) ? stored : DEFAULT_LANG;
  } catch {
    return DEFAULT_LANG; // storage blocked (private mode, file://): use the default
  }
}

/** The current language; at start the one chosen last time, else Dutch. */
export function getLang() {
  return currentLang;
}

/** Switch language, remember it, and update all static text in the document. */
export function setLang(lang) {
  if (!LANGUAGES.includes(lang)) return;
  currentLang = lang;
  try {
    window.localStorage.setItem(STORAGE_KEY, lang);
  } catch {
    /* not remembered; harmless */
  }
  applyTranslations(document);
}

/** Is there a string for this key (in the language, or in Dutch)? */
export function has(key, lang = currentLang) {
  return key in STRINGS[lang] || key in STRINGS[DEFAULT_LANG];
}

/** Look up a string and fill in {placeholders}. Falls back to Dutch, then to the key. */
export function t(key, params = {}, lang = currentLang) {
  const template = STRINGS[lang]?.[key] ?? STRINGS[DEFAULT_LANG][key] ?? key;
  return template.replace(/\{(\w+)\}/g, (match, name) =>
    params[name] === undefined || params[name] === null ? match : String(params[name]),
  );
}

const pluralRules = new Map();

/**
 * A counted string: `key.one` / `key.other` (Intl.PluralRules of the language) with {n} and
 * the other params filled in. `count` is the number as shown (already rounded), `params.n` the
 * text to show for it.
 */
export function plural(key, count, params = {}, lang = currentLang) {
  if (!pluralRules.has(lang)) pluralRules.set(lang, new Intl.PluralRules(locale(lang)));
  const form = pluralRules.get(lang).select(count);
  return t(has(`${key}.${form}`, lang) ? `${key}.${form}` : `${key}.other`, { n: count, ...params }, lang);
}

/** Pick the current language from an API object like {"nl": "...", "en": "..."}. */
export function pick(text, lang = currentLang) {
  if (text === null || text === undefined) return "";
  if (typeof text === "string") return text;
  return text[lang] ?? text[DEFAULT_LANG] ?? Object.values(text)[0] ?? "";
}

/** BCP 47 locale for number and date formatting. */
export function locale(lang = currentLang) {
  return lang === "nl" ? "nl-NL" : "en-GB";
}

export function applyTranslations(root) {
  document.documentElement.lang = currentLang;
  root.querySelectorAll("[data-i18n]").forEach((el) => {
    el.textContent = t(el.dataset.i18n);
  });
  root.querySelectorAll("[data-i18n-attr]").forEach((el) => {
    for (const pair of el.dataset.i18nAttr.split(";")) {
      const [attr, key] = pair.split(":").map((s) => s.trim());
      if (attr && key) el.setAttribute(attr, t(key));
    }
  });
  document.title = t("app.title");
}
