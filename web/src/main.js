/*
 * @module main
 * Start-up: the store, the API client and every part of the page, wired together. The parts
 * talk through the store (state) and the few callbacks passed here (what happens when a site
 * is chosen, the panel closes, Escape is pressed); none reaches into another's internals.
 *
 * Data at start: /api/config (basemap, extent), /api/profiles (scoring), /api/layers (the
 * catalogue: overlays and site kinds) together; then the list, the municipalities and their
 * outlines.
 */

import { $ } from "./dom.js";
import { createStore } from "./store.js";
import { createApi } from "./api.js";
import { applyTranslations, getLang, LANGUAGES, setLang } from "./i18n.js";
import { showError, wireBanner } from "./banner.js";
import { createMap } from "./map.js";
import { createLegend } from "./legend.js";
import { createSites } from "./sites.js";
import { createMarkers } from "./markers.js";
import { createList } from "./list.js";
import { createSelection } from "./selection.js";
import { createDetail } from "./detail.js";
import { createWeights } from "./weights.js";
import { createDraw } from "./draw.js";
import { createLayers } from "./layers.js";
import { createFilters, NO_FILTERS } from "./filters.js";
import { createAuth } from "./auth.js";
import { createFlags } from "./flags.js";
import { createBulk } from "./bulk.js";
import { createProvince } from "./province.js";
import { createUrlState } from "./urlstate.js";
import { createShare } from "./share.js";
import { createFairShare } from "./fairshare.js";
import { createReports } from "./reports.js";
import { createSiteTiles } from "./sitetiles.js";
import { createOffers } from "./offers.js";
import { createDemands } from "./demands.js";
import { createInbox } from "./inbox.js";

const store = createStore({
  lang: getLang(),
  pending: 0, // requests in flight
  config: null, // /api/config
  catalogue: null, // /api/layers: layers (overlays, site kinds)
  basemapOffline: false,
  profiles: null, // /api/profiles: {default, profiles, criteria}
  profilesFailed: false,
  profile: null, // chosen profile name (null: the API's default)
  weights: {}, // scoring criterion → slider weight (live)
  scoring: { profile: null, weights: "" }, // the scoring query of every request (weights.js)
  filters: NO_FILTERS,
  view: null, // the map's bbox, "west,south,east,north"
  sites: null, // /api/sites: FeatureCollection + total
  sitesLoading: false,
  sitesFailed: false,
  rankBefore: null, // site id → rank before the last change of scoring
  hoveredId: null,
  selectedId: null,
  detail: null, // /api/sites/{id} of the selected site
  keepView: false, // the selection came with its view (a shared link): the map does not pan to it
  adhoc: null, // own site: {serial, geometry, places, floorArea, name, label (where it came from), feature (/api/score answer)}
  auth: null, // /api/auth/me: {user (null: not logged in), csrf_token, sso} (auth.js)
  statuses: null, // /api/flags/statuses: the flag workflow (flags.js)
  statusColours: false, // colour the markers by flag status instead of score
  layersOn: null, // names of the overlays switched on (layers.js); null: the catalogue's default
});

// First subscriber: the strings and number formats follow the language before anything renders.
store.subscribe(["lang"], (state) => setLang(state.lang));

const api = createApi({
  onPending: (pending) => store.update({ pending }),
  csrf: () => store.get().auth?.csrf_token ?? null,
});

function wireLanguageToggle() {
  const buttons = document.querySelectorAll("#lang-toggle button[data-lang]");
  const render = () => {
    for (const button of buttons) button.setAttribute("aria-pressed", String(button.dataset.lang === store.get().lang));
  };
  for (const button of buttons) {
    button.addEventListener("click", () => {
      if (LANGUAGES.includes(button.dataset.lang)) store.update({ lang: button.dataset.lang });
    });
  }
  store.subscribe(["lang"], render);
  render();
}

async function loadConfig(map) {
  let config = null;
  try {
    config = await api.get("/api/config");
  } catch (err) {
    showError(err);
  }
  store.update({ config });
  map.addBasemap(config?.basemap);
  map.addAttribution(config?.attribution);
  map.fitBbox(config?.bounds);
}

async function loadCatalogue() {
  try {
    store.update({ catalogue: (await api.get("/api/layers")).layers ?? [] });
  } catch (err) {
    showError(err);
  }
}

async function init() {
  applyTranslations(document);
  wireLanguageToggle();
  wireBanner();
  store.subscribe(["pending"], (state) => ($("#loading").hidden = state.pending === 0));

  const map = createMap(store, { container: "map", coveredBy: "#detail" });
  createLegend(store, map);
  const sites = createSites(store, api, map);
  // The callbacks name parts made further down; they are only called after start-up.
  const list = createList(store, { onSelect: (id) => detail.select(id) });
  const draw = createDraw(store, api, map);
  const auth = createAuth(store, api);
  const flags = createFlags(store, api);
  const reports = createReports(store);
  const detail = createDetail(store, api, map, {
    onClosed: (id) => id && list.focusRow(id),
    onDrawAgain: () => draw.start(),
    sections: () => [flags.element, reports.element],
    onRescore: (size) => draw.rescore(size),
  });
  const province = createProvince(store, api, { onSelect: (id) => detail.select(id) });
  createBulk(store, api, map, { onDone: () => province.reload() });
  createFairShare(store, api, map);
  createMarkers(store, map, {
    onSelect: (id) => {
      detail.select(id);
      list.reveal(id);
    },
  });
  // every site, from vector tiles, below the list's markers (recoloured when a weight moves)
  createSiteTiles(store, map, {
    onSelect: (id) => {
      detail.select(id);
      list.reveal(id);
    },
  });
  createSelection(store, map);
  const weights = createWeights(store, api);
  const layers = createLayers(store, api, map);
  const filters = createFilters(store, api, map);
  // Matchmaking (issue 11): owners' offers, demands and matches, the inbox.
  const inbox = createInbox(store, api);
  const demands = createDemands(store, api, map, { onChanged: () => inbox.reload() });
  createOffers(store, api, map, draw, {
    onChanged: () => {
      inbox.reload();
      demands.reload();
    },
  });

  document.addEventListener("keydown", (event) => {
    if (event.key !== "Escape") return;
    if (draw.isDrawing()) {
      event.preventDefault();
      draw.stop();
      $("#adhoc-start").focus();
      return;
    }
    if ($("#detail").hidden || event.target.closest?.("select, input")) return;
    detail.close();
  });

  await Promise.all([loadConfig(map), weights.load(), loadCatalogue(), auth.load(), flags.loadStatuses()]);
  // the URL's state (a shared link, a reload) before the first list; from then on it follows
  const urlState = createUrlState(store, map, detail);
  urlState.restore();
  createShare(store, map, urlState);
  sites.start();
  urlState.start();
  filters.loadGemeenten();
  layers.loadOutlines();
}

init();
