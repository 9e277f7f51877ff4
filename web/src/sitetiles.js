/*
 * @module sitetiles
 * Every site on the map, drawn from vector tiles (GET /api/tiles/sites/{z}/{x}/{y}.mvt, one
 * point per site with its criterion values 0–1 under the chosen profile), below the list's
 * markers. The colour is the score computed here from the values and the live weights, as the
 * engine does it: the weighted mean over the criteria with a value (none when excluded or no
 * weighted criterion has one), so moving a weight recolours every site at once without a new
 * tile; only a change of profile (other values) loads new tiles. The filters the tiles can
 * answer (kind, municipality, excluded sites, minimum score and share of the weight with data)
 * hide the sites they leave out. Clicking a site selects it.
 */

import { loadVectorGrid } from "./vectorgrid.js";
import { EXCLUDED_FILL, EXCLUDED_STROKE, UNCERTAIN_FILL_OPACITY, scoreColour } from "./symbols.js";
import { showError } from "./banner.js";

const LAYER = "sites"; // the layer inside the tiles
const SOLID_COMPLETENESS = 0.6; // engine.SOLID_COMPLETENESS: less of the weight with data is "uncertain"
const HIDDEN = Object.freeze({ stroke: false, fill: false, interactive: false });

/**
 * The score of a site from its tile attributes: {score, completeness}; score null when the site
 * is excluded or none of the weighted criteria has a value (engine.Evaluation.score_all).
 * @param {object} props a tile feature's properties (criterion name → value 0–1; absent: missing)
 * @param {[string, number][]} weights the positive weights, criterion name → weight
 * @param {number} total the sum of all weights
 */
export function tileScore(props, weights, total) {
  if (props.excluded) return { score: null, completeness: 0 };
  let num = 0;
  let den = 0;
  for (const [name, weight] of weights) {
    const value = props[name];
    if (value === undefined || value === null) continue;
    num += weight * value;
    den += weight;
  }
  return { score: den > 0 ? num / den : null, completeness: total > 0 ? den / total : 0 };
}

/** The profile the tiles must carry the values of: the chosen one, else the API's default. */
function tileProfile(state) {
  return state.profile ?? state.profiles?.default ?? null;
}

/** A style function for the current weights and filters: tile properties → canvas path style. */
function styler(state) {
  const weights = Object.entries(state.weights ?? {}).filter(([, w]) => w > 0);
  const total = weights.reduce((sum, [, w]) => sum + w, 0);
  const f = state.filters ?? {};
  return (props) => {
    if (f.kind && props.kind !== f.kind) return HIDDEN;
    if (f.gemeente && props.gemeentecode !== f.gemeente) return HIDDEN;
    const { score, completeness } = tileScore(props, weights, total);
    if (score === null) {
      if (!f.includeExcluded && props.excluded) return HIDDEN;
      if (f.minScore > 0) return HIDDEN;
      return { radius: 3, interactive: true, stroke: true, color: EXCLUDED_STROKE, weight: 0.8, fill: true, fillColor: EXCLUDED_FILL, fillOpacity: 0.7 };
    }
    if (f.minScore > 0 && score < f.minScore) return HIDDEN;
    if (f.minCompleteness > 0 && completeness < f.minCompleteness - 1e-6) return HIDDEN;
    const solid = completeness >= SOLID_COMPLETENESS - 1e-6;
    return {
      radius: 4,
      interactive: true,
      stroke: true,
      color: "#1f2937",
      weight: 0.6,
      fill: true,
      fillColor: scoreColour(score),
      fillOpacity: solid ? 0.9 : UNCERTAIN_FILL_OPACITY,
    };
  };
}

/**
 * @param {{onSelect: (id: string) => void}} hooks called when a tile-drawn site is clicked
 * @returns {{ready: Promise<void>}}
 */
export function createSiteTiles(store, map, { onSelect }) {
  const leaflet = map.leaflet;
  const pane = leaflet.createPane("siteTiles");
  pane.style.zIndex = 445; // above the selection outline, below the list's markers
  let layer = null;
  let profile = null;
  let style = styler(store.get());

  /**
   * Restyle every feature of the loaded tiles (no request). The pane's data attributes say
   * what happened, for tests and bench/tiles_bench.py: `features` (in the loaded tiles),
   * `firstTile` / `loaded` (ms since navigation: first tile drawn, every tile in view drawn),
   * `recoloured`, `recolours` and `recolourMs` (from the change to the frame that shows it).
   */
  function recolour() {
    const started = performance.now();
    style = styler(store.get());
    if (!layer) return;
    let count = 0;
    for (const tile of Object.values(layer._vectorTiles ?? {})) {
      for (const { feature } of Object.values(tile._features ?? {})) {
        feature.updateStyle(tile, { ...feature.options, ...style(feature.properties) });
        count += 1;
      }
    }
    pane.dataset.recoloured = String(count);
    requestAnimationFrame(() => {
      pane.dataset.recolourMs = (performance.now() - started).toFixed(1);
      pane.dataset.recolours = String(Number(pane.dataset.recolours ?? 0) + 1);
    });
  }

  function countFeatures() {
    let count = 0;
    for (const tile of Object.values(layer?._vectorTiles ?? {})) count += Object.keys(tile._features ?? {}).length;
    pane.dataset.features = String(count);
  }

  async function show(state) {
    const wanted = tileProfile(state);
    if (!wanted || wanted === profile) return;
    profile = wanted;
    const { vectorGrid, canvasTile } = await loadVectorGrid();
    if (profile !== wanted) return; // another profile was chosen meanwhile
    layer?.remove();
    const url = `/api/tiles/${LAYER}/{z}/{x}/{y}.mvt?profile=${encodeURIComponent(wanted)}`;
    layer = vectorGrid.protobuf(url, {
      pane: "siteTiles",
      rendererFactory: canvasTile,
      interactive: true,
      getFeatureId: (feature) => feature.properties.site_id,
      vectorTileLayerStyles: { [LAYER]: (props) => style(props) },
      maxNativeZoom: 20,
      maxZoom: 20,
      fetchOptions: { credentials: "same-origin" },
    });
    layer.on("click", (event) => {
      const id = event.layer?.properties?.site_id;
      if (id) onSelect(String(id));
    });
    layer.on("load", () => {
      countFeatures();
      pane.dataset.loaded = String(performance.now().toFixed(1));
    });
    layer.on("tileload", () => {
      countFeatures();
      pane.dataset.firstTile ??= String(performance.now().toFixed(1));
    });
    layer.addTo(leaflet);
  }

  const ready = new Promise((resolve) => {
    store.subscribe(["profiles", "profile"], (state) => {
      show(state)
        .then(resolve)
        .catch((err) => showError(err));
    });
  });
  store.subscribe(["weights", "filters"], recolour);
  return { ready };
}
