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
 *
 * Drawn by a Leaflet GridLayer of canvases: a tile is decoded into columns (mvtpoints.js) and
 * drawn with one path per colour class (the best scores on top), so a recolour is a loop over
 * typed arrays and about a dozen fills per tile, for the loaded tiles only. At low zooms with
 * many sites the API thins a tile (one site per 4 × 4 pixels, the best under the profile's
 * weights: sitefinder/api/mvt.py); the colour of such a point is that site's own score.
 */

import * as L from "leaflet";
import { decodePoints } from "./mvtpoints.js";
import { EXCLUDED_FILL, EXCLUDED_STROKE, SCORE_COLOURS, UNCERTAIN_FILL_OPACITY } from "./symbols.js";
import { showError } from "./banner.js";

const LAYER = "sites"; // the layer inside the tiles
const SOLID_COMPLETENESS = 0.6; // engine.SOLID_COMPLETENESS: less of the weight with data is "uncertain"

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

const TILE = 256; // CSS pixels of a tile
const SOLID_RADIUS = 4;
const EXCLUDED_RADIUS = 3;
const PICK_PX = 6; // a click this close to a drawn site selects it
const DENSE_TILE = 1500; // more sites in a tile: drawn as squares without outline
const CELL_PX = 4; // sitefinder/api/mvt.py THIN_CELL (64 of 4096 tile units) in pixels
const CACHED_TILES = 400; // decoded tiles kept (per profile) for a tile that comes back

/** A tile's decoded sites as columns (mvtpoints.decodePoints) with the helpers a style needs. */
function tileSites(layer) {
  const width = layer.keys.length;
  const column = (name) => layer.keys.indexOf(name);
  const scale = TILE / layer.extent;
  return {
    ...layer,
    thinned: layer.keys.includes("count"),
    width,
    px: layer.x.map((v) => v * scale),
    py: layer.y.map((v) => v * scale),
    column,
    /** The value index of `value` in the tile (-1: not in it). */
    valueIndex: (value) => layer.values.indexOf(value),
    /** Feature i's value of attribute column k, or undefined. */
    get(i, k) {
      const t = k < 0 ? -1 : layer.tags[i * width + k];
      return t < 0 ? undefined : layer.values[t];
    },
  };
}

/**
 * Per site of a tile the class it is drawn in (Uint8Array): 0 hidden, 1 excluded / no score,
 * 2 + score class (uncertain), 7 + score class (solid); tileScore's rules over columns.
 */
function classify(sites, state) {
  const f = state.filters ?? {};
  const weights = Object.entries(state.weights ?? {}).filter(([, w]) => w > 0);
  const total = weights.reduce((sum, [, w]) => sum + w, 0);
  const columns = weights.map(([name]) => sites.column(name));
  const { n, tags, width, values } = sites;
  const out = new Uint8Array(n);
  const excludedK = sites.column("excluded");
  const kindK = sites.column("kind");
  const gemeenteK = sites.column("gemeentecode");
  const kindWanted = f.kind ? sites.valueIndex(f.kind) : null;
  const gemeenteWanted = f.gemeente ? sites.valueIndex(f.gemeente) : null;
  const classes = SCORE_COLOURS.length;
  for (let i = 0; i < n; i += 1) {
    const row = i * width;
    if (kindWanted !== null && (kindK < 0 || tags[row + kindK] !== kindWanted)) continue;
    if (gemeenteWanted !== null && (gemeenteK < 0 || tags[row + gemeenteK] !== gemeenteWanted)) continue;
    const excluded = excludedK >= 0 && values[tags[row + excludedK]] === true;
    let num = 0;
    let den = 0;
    if (!excluded) {
      for (let j = 0; j < columns.length; j += 1) {
        const t = columns[j] < 0 ? -1 : tags[row + columns[j]];
        if (t < 0) continue;
        num += weights[j][1] * values[t];
        den += weights[j][1];
      }
    }
    if (excluded || den === 0) {
      if (!f.includeExcluded && excluded) continue;
      if (f.minScore > 0) continue;
      out[i] = 1;
      continue;
    }
    const score = num / den;
    const completeness = total > 0 ? den / total : 0;
    if (f.minScore > 0 && score < f.minScore) continue;
    if (f.minCompleteness > 0 && completeness < f.minCompleteness - 1e-6) continue;
    const cls = Math.max(0, Math.min(classes - 1, Math.floor(score * classes)));
    out[i] = (completeness >= SOLID_COMPLETENESS - 1e-6 ? 7 : 2) + cls;
  }
  return out;
}

const STYLES = [
  null,
  { radius: EXCLUDED_RADIUS, fill: EXCLUDED_FILL, alpha: 0.7, stroke: EXCLUDED_STROKE, width: 0.8 },
  ...SCORE_COLOURS.map((fill) => ({ radius: SOLID_RADIUS, fill, alpha: UNCERTAIN_FILL_OPACITY, stroke: "#1f2937", width: 0.6 })),
  ...SCORE_COLOURS.map((fill) => ({ radius: SOLID_RADIUS, fill, alpha: 0.9, stroke: "#1f2937", width: 0.6 })),
];

/**
 * Draw a tile's sites by class: one path per class (low scores first, the best on top). A
 * dense tile (thinned, or more than DENSE_TILE sites) draws each site as a square of the
 * thinning cell (4 × 4 px) without outline: a fraction of the raster work of outlined circles.
 */
function draw(canvas, sites, classes) {
  const ratio = canvas.width / TILE;
  const ctx = canvas.getContext("2d");
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  ctx.clearRect(0, 0, TILE, TILE);
  const { px, py, n } = sites;
  const dense = sites.thinned || n > DENSE_TILE;
  const half = CELL_PX / 2;
  for (let c = 1; c < STYLES.length; c += 1) {
    const style = STYLES[c];
    const r = style.radius;
    ctx.beginPath();
    let any = false;
    for (let i = 0; i < n; i += 1) {
      if (classes[i] !== c) continue;
      if (dense) ctx.rect(px[i] - half, py[i] - half, CELL_PX, CELL_PX);
      else {
        ctx.moveTo(px[i] + r, py[i]);
        ctx.arc(px[i], py[i], r, 0, 2 * Math.PI);
      }
      any = true;
    }
    if (!any) continue;
    ctx.globalAlpha = style.alpha;
    ctx.fillStyle = style.fill;
    ctx.fill();
    ctx.globalAlpha = 1;
    if (dense) continue;
    ctx.lineWidth = style.width;
    ctx.strokeStyle = style.stroke;
    ctx.stroke();
  }
}

/**
 * @param {{onSelect: (id: string) => void}} hooks called when a tile-drawn site is clicked
 * @returns {{ready: Promise<void>}}
 */
export function createSiteTiles(store, map, { onSelect }) {
  const leaflet = map.leaflet;
  const pane = leaflet.createPane("siteTiles");
  pane.style.zIndex = 445; // above the selection outline, below the list's markers
  const tiles = new Map(); // tile key → {canvas, sites, classes, coords}: the drawn tiles
  const fetched = new Map(); // url → Promise of the tile's sites (or null): a tile that Leaflet
  // drops and makes again (a view change at the same zoom, panning back) is not fetched again

  function load(url) {
    let promise = fetched.get(url);
    if (!promise) {
      promise = fetch(url, { credentials: "same-origin" })
        .then((response) => {
          if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
          return response.arrayBuffer();
        })
        .then((buffer) => {
          const decoded = buffer.byteLength ? decodePoints(buffer, LAYER) : null;
          return decoded && decoded.n ? tileSites(decoded) : null;
        });
      promise.catch(() => fetched.delete(url));
      fetched.set(url, promise);
      if (fetched.size > CACHED_TILES) fetched.delete(fetched.keys().next().value);
    }
    return promise;
  }
  let layer = null;
  let profile = null;

  function countFeatures() {
    let count = 0;
    for (const tile of tiles.values()) count += tile.sites.n;
    pane.dataset.features = String(count);
  }

  /**
   * Redraw the loaded tiles from their values and the current weights and filters (no
   * request). The pane's data attributes say what happened, for tests and
   * bench/tiles_bench.py: `features` (in the loaded tiles), `firstTile` / `loaded` (ms since
   * navigation: first tile drawn, every tile in view drawn), `recoloured`, `recolours` and
   * `recolourMs` (from the change to the frame that shows it).
   */
  function recolour() {
    const started = performance.now();
    const state = store.get();
    let count = 0;
    for (const tile of tiles.values()) {
      tile.classes = classify(tile.sites, state);
      draw(tile.canvas, tile.sites, tile.classes);
      count += tile.sites.n;
    }
    pane.dataset.recoloured = String(count);
    pane.dataset.recolourOwnMs = (performance.now() - started).toFixed(1);
    requestAnimationFrame(() => {
      pane.dataset.recolourMs = (performance.now() - started).toFixed(1);
      pane.dataset.recolours = String(Number(pane.dataset.recolours ?? 0) + 1);
    });
  }

  const SiteGrid = L.GridLayer.extend({
    createTile(coords, done) {
      const canvas = document.createElement("canvas");
      const ratio = window.devicePixelRatio || 1;
      canvas.width = canvas.height = TILE * ratio;
      canvas.style.width = canvas.style.height = `${TILE}px`;
      const key = this._tileCoordsToKey(coords);
      const url = `/api/tiles/${LAYER}/${coords.z}/${coords.x}/${coords.y}.mvt?profile=${encodeURIComponent(this.options.profile)}`;
      load(url)
        .then((sites) => {
          if (sites) {
            const classes = classify(sites, store.get());
            draw(canvas, sites, classes);
            tiles.set(key, { canvas, sites, classes, coords });
          }
          done(null, canvas);
        })
        .catch((err) => done(err, canvas));
      return canvas;
    },
  });

  /** The site drawn nearest to a clicked point (within PICK_PX), or null. */
  function pick(latlng) {
    const z = leaflet.getZoom();
    const point = leaflet.project(latlng, z);
    const x = Math.floor(point.x / TILE);
    const y = Math.floor(point.y / TILE);
    const tile = tiles.get(`${x}:${y}:${z}`);
    if (!tile) return null;
    const ox = point.x - x * TILE;
    const oy = point.y - y * TILE;
    let best = -1;
    let bestD = PICK_PX * PICK_PX;
    for (let i = 0; i < tile.sites.n; i += 1) {
      if (!tile.classes[i]) continue;
      const d = (tile.sites.px[i] - ox) ** 2 + (tile.sites.py[i] - oy) ** 2;
      if (d <= bestD) {
        bestD = d;
        best = i;
      }
    }
    return best < 0 ? null : tile.sites.get(best, tile.sites.column("site_id"));
  }

  leaflet.on("click", (event) => {
    if (!layer || leaflet.getContainer().classList.contains("is-drawing")) return;
    const id = pick(event.latlng);
    if (id) onSelect(String(id));
  });

  function show(state) {
    const wanted = tileProfile(state);
    if (!wanted || wanted === profile) return;
    profile = wanted;
    layer?.remove();
    tiles.clear();
    fetched.clear();
    layer = new SiteGrid({ pane: "siteTiles", profile: wanted, maxNativeZoom: 20, maxZoom: 20 });
    layer.on("tileunload", (event) => {
      const key = layer._tileCoordsToKey(event.coords);
      if (tiles.get(key)?.canvas === event.tile) tiles.delete(key);
      countFeatures();
    });
    layer.on("tileerror", (event) => showError(event.error));
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
      try {
        show(state);
        resolve();
      } catch (err) {
        showError(err);
      }
    });
  });
  store.subscribe(["weights", "filters"], recolour);
  return { ready };
}
