/*
 * @module urlstate
 * The map's state in the page's URL, so a link shows what its sender saw and the browser's
 * back and forward step through the user's changes.
 *
 * One mapping between store keys and query parameters (`PARAMS` below): the view (`c` centre
 * "lat,lon" and `z` zoom), `profile` and own weights `w` (the `scoring` query), the filters,
 * the selected site `site`, the visible overlays `layers` and the language `lang`. A change of
 * the scoring, filters, selection, overlays or language adds a history entry (pushState); a
 * move of the map only rewrites the current one (replaceState), so panning does not fill the
 * history. `restore()` reads the URL once at start-up (after the profiles and the catalogue
 * are in, before the first list is loaded); going back or forward (popstate) applies the
 * entry's URL the same way, without adding an entry.
 */

import { NO_FILTERS } from "./filters.js";
import { LANGUAGES } from "./i18n.js";
import { defaultOverlays } from "./layers.js";

const COPIED_MS = 2500; // how long "link copied" shows
const ZOOM_DECIMALS = 1;
const COORD_DECIMALS = 5; // about 1 m

/** Filter key in the store → query parameter, with how its value is written and read. */
const FILTER_PARAMS = {
  kind: { param: "kind", write: (v) => v || "", read: (v, state) => (siteKindCodes(state).includes(v) ? v : "") },
  gemeente: { param: "gemeente", write: (v) => v || "", read: (v) => (/^GM[0-9]{4}$/i.test(v) ? v.toUpperCase() : "") },
  status: {
    param: "status",
    write: (v) => v || "",
    read: (v, state) => ((state.statuses?.statuses ?? []).some((s) => s.code === v) ? v : ""),
  },
  minScore: { param: "min_score", write: (v) => (v > 0 ? String(v) : ""), read: fraction },
  minCompleteness: { param: "min_completeness", write: (v) => (v > 0 ? String(v) : ""), read: fraction },
  includeExcluded: { param: "excluded", write: (v) => (v ? "1" : ""), read: (v) => v === "1" || v === "true" },
  rankBy: {
    param: "rank_by",
    write: (v) => (v && v !== NO_FILTERS.rankBy ? v : ""),
    read: (v) => (["conservative", "score"].includes(v) ? v : NO_FILTERS.rankBy),
  },
  vacancy: { param: "vacancy", write: (v) => v || "", read: (v) => (VACANCY.includes(v) ? v : "") },
};
const VACANCY = ["leeg", "in_gebruik", "onbekend"]; // the filter's options (index.html)

function siteKindCodes(state) {
  return (state.catalogue ?? []).map((l) => l.site_kind?.code).filter(Boolean);
}
const PUSHED_KEYS = ["scoring", "filters", "selectedId", "layersOn", "lang"];

function fraction(text) {
  const value = Number(text);
  return Number.isFinite(value) ? Math.min(1, Math.max(0, value)) : 0;
}

/** "transit:0.5,care_distance:0.3" → {transit: 0.5, care_distance: 0.3} (unknown names dropped). */
function parseWeights(text, names) {
  const weights = {};
  for (const pair of (text ?? "").split(",")) {
    const [name, raw] = pair.split(":");
    const value = Number(raw);
    if (names.includes(name) && Number.isFinite(value) && value >= 0) weights[name] = value;
  }
  return weights;
}

/** The query string of the state (empty parameters left out), in a stable order. */
export function stateQuery(state, view) {
  const params = new URLSearchParams();
  if (view) {
    params.set("c", `${view.lat.toFixed(COORD_DECIMALS)},${view.lng.toFixed(COORD_DECIMALS)}`);
    params.set("z", String(Number(view.zoom.toFixed(ZOOM_DECIMALS))));
  }
  if (state.scoring?.profile) params.set("profile", state.scoring.profile);
  if (state.scoring?.weights) params.set("w", state.scoring.weights);
  for (const [key, spec] of Object.entries(FILTER_PARAMS)) {
    const value = spec.write(state.filters?.[key]);
    if (value) params.set(spec.param, value);
  }
  if (state.selectedId) params.set("site", state.selectedId);
  if (Array.isArray(state.layersOn)) params.set("layers", state.layersOn.join(","));
  params.set("lang", state.lang);
  return params.toString();
}

/**
 * @param store the page store
 * @param map the page's map (map.js): its Leaflet map is read and set for the view
 * @param {{select: (id: string) => void, close: () => void}} detail opens and closes a site
 * @returns {{restore: () => void, start: () => void, copyLink: () => Promise<boolean>}}
 */
export function createUrlState(store, map, detail) {
  const leaflet = map.leaflet;
  let started = false;
  let applying = false; // applying a URL: the changes it makes add no history entry
  let pending = null; // {push} of a write asked for in this task

  function currentView() {
    const centre = leaflet.getCenter();
    return { lat: centre.lat, lng: centre.lng, zoom: leaflet.getZoom() };
  }

  function url() {
    const query = stateQuery(store.get(), currentView());
    return `${window.location.pathname}?${query}${window.location.hash}`;
  }

  /** Write the URL after the current task: one entry for changes made together. */
  function write(push) {
    if (!started) return;
    if (pending) {
      pending.push ||= push;
      return;
    }
    pending = { push };
    queueMicrotask(() => {
      const { push: asPush } = pending;
      pending = null;
      const next = url();
      if (next === `${window.location.pathname}${window.location.search}${window.location.hash}`) return;
      if (asPush && !applying) window.history.pushState(null, "", next);
      else window.history.replaceState(null, "", next);
    });
  }

  /** The store patch (and view) a URL asks for; parameters it lacks take their defaults. */
  function fromUrl(search) {
    const params = new URLSearchParams(search);
    const state = store.get();
    const patch = {};

    const profiles = state.profiles?.profiles ?? [];
    const criteria = (state.profiles?.criteria ?? []).filter((c) => !c.constraint).map((c) => c.name);
    const named = profiles.find((p) => p.name === params.get("profile"));
    const fallback = profiles.find((p) => p.name === state.profiles?.default) ?? profiles[0];
    const profile = named ?? fallback;
    if (profile) {
      const own = params.has("w") ? parseWeights(params.get("w"), criteria) : null;
      const custom = own && Object.values(own).some((v) => v > 0);
      patch.profile = profile.name;
      patch.weights = Object.fromEntries(
        criteria.map((name) => [name, custom ? own[name] ?? 0 : profile.weights?.[name] ?? 0]),
      );
      patch.scoring = {
        profile: profile.name,
        weights: custom ? criteria.map((name) => `${name}:${Number((own[name] ?? 0).toFixed(4))}`).join(",") : "",
      };
    }

    const filters = { ...NO_FILTERS };
    for (const [key, spec] of Object.entries(FILTER_PARAMS)) {
      if (params.get(spec.param)) filters[key] = spec.read(params.get(spec.param), state);
    }
    patch.filters = sameFilters(filters, state.filters) ? state.filters : filters;

    const lang = params.get("lang");
    if (LANGUAGES.includes(lang)) patch.lang = lang;

    // no `layers`: the catalogue's default overlays (the state before any was switched)
    const known = new Set((state.catalogue ?? []).map((l) => l.name));
    const names = params.has("layers")
      ? params.get("layers").split(",").filter((name) => known.has(name))
      : defaultOverlays(state.catalogue);
    if (state.catalogue) patch.layersOn = sameList(names, state.layersOn) ? state.layersOn : names;

    const [lat, lng] = (params.get("c") ?? "").split(",").map(Number);
    const zoom = Number(params.get("z"));
    const view =
      params.has("c") && Number.isFinite(lat) && Number.isFinite(lng) && params.has("z") && Number.isFinite(zoom)
        ? { lat, lng, zoom }
        : null;
    return { patch, view, site: params.get("site") || null };
  }

  /** Apply a URL to the store, the map and the detail panel (no history entry for it). */
  function apply(search) {
    const { patch, view, site } = fromUrl(search);
    applying = true;
    try {
      if (patch.scoring && sameScoring(patch.scoring, store.get().scoring)) delete patch.scoring;
      store.update(patch);
      if (view) leaflet.setView([view.lat, view.lng], view.zoom, { animate: false });
      if (site && site !== store.get().selectedId) detail.select(site, { keepView: Boolean(view) });
      else if (!site && store.get().selectedId) detail.close();
    } finally {
      queueMicrotask(() => (applying = false)); // after the write the changes asked for
    }
  }

  /** Read the page's URL once, at start-up (profiles and catalogue loaded, list not yet). */
  function restore() {
    if (window.location.search) apply(window.location.search);
  }

  /** From now on the URL follows the store (and the history the URL). */
  function start() {
    started = true;
    store.subscribe(PUSHED_KEYS, () => write(true));
    store.subscribe(["view"], () => write(false));
    window.addEventListener("popstate", () => apply(window.location.search));
    write(false); // the start state, so the first link already says everything
  }

  /** Copy the link of what is on screen; false when the clipboard refused. */
  async function copyLink() {
    const link = new URL(url(), window.location.origin).href;
    try {
      await navigator.clipboard.writeText(link);
      return true;
    } catch {
      return false;
    }
  }

  return { restore, start, copyLink, url };
}

function sameScoring(a, b) {
  return a?.profile === b?.profile && (a?.weights ?? "") === (b?.weights ?? "");
}

function sameFilters(a, b) {
  return Object.keys(NO_FILTERS).every((key) => a?.[key] === b?.[key]);
}

function sameList(a, b) {
  return Array.isArray(b) && a.length === b.length && a.every((v, i) => v === b[i]);
}

export { COPIED_MS };
