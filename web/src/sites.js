/*
 * @module sites
 * The ranked sites in view: GET /api/sites with the filters, the view's bbox and the scoring
 * parameters, into the store as `sites` (FeatureCollection + total). A change of filters or
 * scoring loads at once; a map move loads a moment after the map stops. After a change of
 * scoring the ranks before it are kept (`rankBefore`), so the list can show who moved.
 */

import { debounce } from "./dom.js";
import { isAbort } from "./api.js";
import { showError } from "./banner.js";
import { isNumber } from "./format.js";

const LIST_LIMIT = 100;
export const STABILITY_K = 10; // rank stability: share of draws (weights, missing data) in the top k
export const MOVE_DEBOUNCE_MS = 250;

/** The id of a site feature, as a string. */
export function siteId(feature) {
  return String(feature?.id ?? feature?.properties?.id ?? "");
}

/** The list's feature of a site, or null when it is not in the list. */
export function listFeature(state, id) {
  return state.sites?.features?.find((f) => siteId(f) === id) ?? null;
}

/**
 * The selection's query parameters of GET /api/sites (filters, view, scoring; no page): the
 * list pages through it, an export (f=csv, …) holds all of it.
 */
export function selectionQuery(state, bbox) {
  const f = state.filters;
  return {
    kind: f.kind,
    gemeente: f.gemeente,
    min_score: f.minScore > 0 ? f.minScore.toFixed(2) : "",
    include_excluded: f.includeExcluded ? "true" : "false",
    status: f.status, // province flag status (flags.js)
    rank_by: f.rankBy,
    vacancy: f.vacancy,
    min_completeness: f.minCompleteness > 0 ? f.minCompleteness.toFixed(2) : "",
    bbox,
    profile: state.scoring.profile,
    weights: state.scoring.weights,
  };
}

/** `start()` loads the first list and from then on follows filters, scoring and view. */
export function createSites(store, api, map) {
  let request = null; // AbortController of the request in flight
  let scheduled = null; // {compare} of a load asked for in this task
  let lastQuery = null; // the query of the list on screen

  function query(state) {
    return { ...selectionQuery(state, map.bbox()), limit: LIST_LIMIT, offset: 0, stability_k: STABILITY_K };
  }

  /**
   * Load after the current task: several changes made together (a municipality chosen, which
   * also moves the map) give one request, read with the view they leave behind.
   */
  function loadNow({ compare = false } = {}) {
    loadSoon.cancel();
    if (scheduled) {
      scheduled.compare ||= compare;
      return;
    }
    scheduled = { compare };
    queueMicrotask(() => {
      const { compare: withRanks } = scheduled;
      scheduled = null;
      load({ compare: withRanks });
    });
  }

  // A move that leaves the query as it is (the list already loaded for it) asks for nothing.
  const loadSoon = debounce(() => {
    if (request || JSON.stringify(query(store.get())) !== lastQuery) load({ compare: false });
  }, MOVE_DEBOUNCE_MS);

  async function load({ compare }) {
    request?.abort();
    const controller = new AbortController();
    request = controller;
    const state = store.get();
    const params = query(state);
    const rankBefore = compare ? currentRanks(state) : null;
    store.update({ sitesLoading: true });
    try {
      const sites = await api.get("/api/sites", params, { signal: controller.signal });
      lastQuery = JSON.stringify(params);
      store.update({ sites, rankBefore, sitesFailed: false });
    } catch (err) {
      if (!isAbort(err)) {
        lastQuery = null;
        store.update({ sites: null, rankBefore: null, sitesFailed: true });
      }
      showError(err);
    } finally {
      if (request === controller) {
        request = null;
        store.update({ sitesLoading: false });
      }
    }
  }

  function start() {
    store.subscribe(["filters"], () => loadNow());
    store.subscribe(["scoring"], () => loadNow({ compare: true }));
    store.subscribe(["view"], () => loadSoon());
    loadNow();
  }

  return { start };
}

/** Site id → rank in the list as it is now (ranked sites only). */
function currentRanks(state) {
  const ranks = new Map();
  for (const feature of state.sites?.features ?? []) {
    const rank = feature.properties?.rank;
    if (isNumber(rank)) ranks.set(siteId(feature), rank);
  }
  return ranks;
}
