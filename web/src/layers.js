/*
 * @module layers
 * The map's overlays from the catalogue (criteria, constraints, boundaries, reference layers):
 * a grouped list of toggles with source and status, and the layers themselves. Point layers
 * follow the view (bbox requests, GeoJSON); polygon and line layers (zoning, buildings, nature
 * areas, …) are drawn from vector tiles (GET /api/tiles/{layer}/{z}/{x}/{y}.mvt, whatever
 * their size), with "no data here" from their extent (GET /api/tiles/{layer}.json).
 * The municipality outlines are always on. Which overlays are on is the store's `layersOn`
 * (names, catalogue order; null until the catalogue's default ones are on), so a link can say.
 */

import * as L from "leaflet";
import { $, debounce, escapeHtml, fill, h } from "./dom.js";
import * as fmt from "./format.js";
import { pick, t } from "./i18n.js";
import { showError } from "./banner.js";
import { keepOutOfTabOrder } from "./map.js";
import { MOVE_DEBOUNCE_MS } from "./sites.js";
import { loadVectorGrid } from "./vectorgrid.js";

const OVERLAY_KINDS = ["criterion", "constraint", "boundary", "reference"];
const ALWAYS_ON_LAYER = "gemeenten";
const FEATURE_LIMIT = 5000;

/** The overlays a catalogue switches on by itself (`visible` and loaded), by name. */
export function defaultOverlays(catalogue) {
  return (catalogue ?? [])
    .filter((l) => OVERLAY_KINDS.includes(l.kind) && l.name !== ALWAYS_ON_LAYER && l.visible && l.loaded)
    .map((l) => l.name);
}

function isPointLayer(layer) {
  return /point/i.test(layer.geometry_type ?? "");
}

function sourceName(loaded) {
  const source = loaded?.source ?? "";
  const technical = !source || /^etl\.|^https?:|[\\/]|\.(geojson|gpkg|gml|zip|csv)$/i.test(source);
  return technical ? loaded?.publisher || source : source;
}

function sourceText(loaded) {
  if (!loaded) return t("layers.not_loaded");
  const source = sourceName(loaded);
  return loaded.data_as_of
    ? t("layers.source", { source, date: fmt.date(loaded.data_as_of) })
    : t("layers.source_nodate", { source });
}

function tooltipText(layer) {
  const loaded = layer.loaded;
  return [
    pick(layer.description),
    loaded?.source ? t("layers.source_nodate", { source: loaded.source }) : null,
    loaded?.publisher ? t("layers.publisher", { publisher: loaded.publisher }) : null,
    loaded?.licence ? t("layers.licence", { licence: loaded.licence }) : null,
    loaded?.data_as_of ? t("detail.as_of", { date: fmt.date(loaded.data_as_of) }) : null,
    fmt.isNumber(loaded?.count) ? t("layers.features", { n: fmt.number(loaded.count) }) : null,
  ]
    .filter(Boolean)
    .join("\n");
}

function isWarningNote(note) {
  return note?.key === "layers.no_data_here" || note?.key === "layers.truncated";
}

/** A status line: `note` is {key, params}, so it is re-translated on a language change. */
function noteText(note) {
  if (!note) return "";
  const params = Object.fromEntries(
    Object.entries(note.params ?? {}).map(([k, v]) => [k, fmt.isNumber(v) ? fmt.number(v) : v]),
  );
  return t(note.key, params);
}

/** @returns {{loadOutlines: () => Promise<void>}} */
export function createLayers(store, api, map) {
  const leaflet = map.leaflet;
  const overlays = new Map(); // layer name → {layer, on, group, mode, loadedWhole, bounds, request, note}
  let autoShown = false; // the catalogue's `visible` layers are switched on once

  function overlayLayers() {
    return (store.get().catalogue ?? []).filter((l) => OVERLAY_KINDS.includes(l.kind) && l.name !== ALWAYS_ON_LAYER);
  }

  function renderList() {
    const groups = OVERLAY_KINDS.map((kind) => {
      const layers = overlayLayers().filter((l) => l.kind === kind);
      if (!layers.length) return null;
      return h("fieldset", { class: "layer-group" }, h("legend", {}, t(`layers.group.${kind}`)), layers.map(layerItem));
    });
    fill($("#layer-list"), ...groups.filter(Boolean));
  }

  function layerItem(layer) {
    const overlay = overlays.get(layer.name);
    const inputId = `layer-${layer.name}`;
    const style = layer.style ?? {};
    const swatchStyle = isPointLayer(layer)
      ? { background: style.fillColor ?? style.color ?? "#666", borderRadius: "50%" }
      : {
          background: style.fill === false ? "transparent" : style.fillColor ?? style.color ?? "#666",
          borderColor: style.color ?? "#666",
          borderStyle: style.dashArray ? "dashed" : "solid",
          opacity: style.fill === false ? 1 : 0.8,
        };
    return h(
      "div",
      { class: "layer-item", title: tooltipText(layer), dataset: { layer: layer.name } },
      h("input", {
        type: "checkbox",
        id: inputId,
        class: "layer-toggle",
        dataset: { layer: layer.name },
        checked: Boolean(overlay?.on),
        disabled: !layer.loaded,
        "aria-describedby": `${inputId}-meta ${inputId}-note`,
        onchange: (event) => toggle(layer.name, event.target.checked),
      }),
      h(
        "label",
        { for: inputId },
        h("span", {
          class: `layer-swatch${isPointLayer(layer) ? " is-point" : ""}`,
          style: swatchStyle,
          "aria-hidden": "true",
        }),
        pick(layer.title) || layer.name,
      ),
      h("p", { id: `${inputId}-meta`, class: "layer-meta" }, sourceText(layer.loaded)),
      h(
        "p",
        {
          id: `${inputId}-note`,
          class: `layer-note${isWarningNote(overlay?.note) ? " is-warning" : ""}`,
          "aria-live": "polite",
        },
        noteText(overlay?.note),
      ),
    );
  }

  function setNote(name, note) {
    const overlay = overlays.get(name);
    if (overlay) overlay.note = note;
    const el = document.getElementById(`layer-${name}-note`);
    if (!el) return;
    el.textContent = noteText(note);
    el.classList.toggle("is-warning", isWarningNote(note));
  }

  /** Turn an overlay on or off. */
  function toggle(name, on) {
    const layer = (store.get().catalogue ?? []).find((l) => l.name === name);
    if (!layer) return;
    let overlay = overlays.get(name);
    if (!overlay) {
      overlay = {
        layer,
        on: false,
        group: L.layerGroup(),
        mode: isPointLayer(layer) ? "bbox" : "tiles",
        loadedWhole: false,
        bounds: null,
        request: null,
        note: null,
      };
      overlays.set(name, overlay);
    }
    overlay.on = on;
    const checkbox = document.getElementById(`layer-${name}`);
    if (checkbox) checkbox.checked = on;
    const layersOn = overlayLayers()
      .map((l) => l.name)
      .filter((n) => overlays.get(n)?.on);
    const before = store.get().layersOn;
    if (!before || before.join(",") !== layersOn.join(",")) store.update({ layersOn });
    if (!on) {
      overlay.request?.abort();
      overlay.group.remove();
      setNote(name, null);
      return;
    }
    overlay.group.addTo(leaflet);
    if ((overlay.mode === "whole" || overlay.mode === "tiles") && overlay.loadedWhole) {
      keepGroupOutOfTabOrder(overlay);
      updateWholeNote(overlay);
    } else fetchOverlay(overlay);
  }

  /** A polygon or line layer from vector tiles: its extent (TileJSON), then the tile layer. */
  async function showTiles(overlay) {
    const name = overlay.layer.name;
    try {
      const [info, { vectorGrid, canvasTile }] = await Promise.all([
        api.get(`/api/tiles/${encodeURIComponent(name)}.json`),
        loadVectorGrid(),
      ]);
      if (overlay.loadedWhole) return;
      const [west, south, east, north] = info.bounds;
      overlay.bounds = L.latLngBounds([south, west], [north, east]);
      const style = { ...(overlay.layer.style ?? {}) };
      delete style.shape;
      delete style.radius;
      const tiles = vectorGrid.protobuf(`/api/tiles/${encodeURIComponent(name)}/{z}/{x}/{y}.mvt`, {
        pane: "overlayPolygons",
        rendererFactory: canvasTile,
        interactive: true,
        vectorTileLayerStyles: {
          [name]: { weight: 1, ...style, fill: /polygon/i.test(overlay.layer.geometry_type ?? "") && style.fill !== false },
        },
        maxNativeZoom: 20,
        maxZoom: 20,
      });
      tiles.bindTooltip(
        (feature) => {
          const p = feature?.properties ?? {};
          return [p.name || p.code, p.category ? fmt.category(p.category) : null]
            .filter(Boolean)
            .map(escapeHtml)
            .join(" · ");
        },
        { sticky: true },
      );
      overlay.group.addLayer(tiles);
      overlay.loadedWhole = true;
      if (overlay.on) updateWholeNote(overlay);
    } catch (err) {
      showError(err);
    }
  }

  async function fetchOverlay(overlay) {
    if (overlay.mode === "tiles") {
      showTiles(overlay);
      return;
    }
    const name = overlay.layer.name;
    overlay.request?.abort();
    const controller = new AbortController();
    overlay.request = controller;
    const params = overlay.mode === "bbox" ? { bbox: map.bbox(), limit: FEATURE_LIMIT } : { limit: FEATURE_LIMIT };
    try {
      const data = await api.get(`/api/layers/${encodeURIComponent(name)}`, params, { signal: controller.signal });
      if (!overlay.on) return;
      if (overlay.mode === "whole" && data.truncated) {
        overlay.mode = "bbox"; // too big to load at once: follow the view instead
        fetchOverlay(overlay);
        return;
      }
      drawOverlay(overlay, data);
      const shown = data.features?.length ?? 0;
      const total = fmt.isNumber(data.total) ? data.total : shown;
      if (overlay.mode === "whole") {
        overlay.loadedWhole = true;
        updateWholeNote(overlay);
      } else if (total === 0) setNote(name, { key: "layers.no_data_here" });
      else if (data.truncated) setNote(name, { key: "layers.truncated", params: { shown, total } });
      else setNote(name, { key: "layers.count", params: { n: total } });
    } catch (err) {
      showError(err);
    } finally {
      if (overlay.request === controller) overlay.request = null;
    }
  }

  function drawOverlay(overlay, data) {
    const style = { ...(overlay.layer.style ?? {}) };
    delete style.shape;
    const radius = style.radius ?? 4;
    delete style.radius;
    const points = isPointLayer(overlay.layer);
    overlay.group.clearLayers();
    const geojson = L.geoJSON(data, {
      pane: points ? "overlayPoints" : "overlayPolygons",
      style: () => ({ weight: 1, ...style }),
      pointToLayer: (feature, latlng) =>
        L.circleMarker(latlng, {
          pane: "overlayPoints",
          radius,
          color: "#ffffff",
          weight: 1,
          fillColor: style.fillColor ?? style.color ?? "#555555",
          fillOpacity: 0.9,
          className: `overlay-point overlay-${overlay.layer.name}`,
        }),
      onEachFeature: (feature, layer) => {
        const p = feature.properties ?? {};
        const label = [p.name || p.code, p.category ? fmt.category(p.category) : null]
          .filter(Boolean)
          .map(escapeHtml)
          .join(" · ");
        if (label) layer.bindTooltip(label, { sticky: !points });
      },
    });
    overlay.group.addLayer(geojson);
    overlay.bounds = geojson.getBounds();
    keepGroupOutOfTabOrder(overlay);
  }

  /** Leaflet creates new path elements whenever a layer is (re-)added, so call after each add. */
  function keepGroupOutOfTabOrder(overlay) {
    overlay.group.eachLayer((geojson) => geojson.eachLayer?.((layer) => keepOutOfTabOrder(layer.getElement?.())));
  }

  /** For whole-loaded polygon layers: say so when nothing of the layer is in the current view. */
  function updateWholeNote(overlay) {
    const inView = overlay.bounds?.isValid() && leaflet.getBounds().intersects(overlay.bounds);
    setNote(overlay.layer.name, inView ? null : { key: "layers.no_data_here" });
  }

  const refreshSoon = debounce(() => {
    for (const overlay of overlays.values()) {
      if (!overlay.on) continue;
      if (overlay.mode === "bbox") fetchOverlay(overlay);
      else if (overlay.loadedWhole) updateWholeNote(overlay); // "whole" and "tiles"
    }
  }, MOVE_DEBOUNCE_MS);

  /** Municipality outlines: always on, thin grey lines, loaded once for the whole country. */
  async function loadOutlines() {
    try {
      const data = await api.get(`/api/layers/${ALWAYS_ON_LAYER}`);
      L.geoJSON(data, {
        pane: "boundaries",
        interactive: false,
        style: { color: "#6b6b6b", weight: 1, opacity: 0.8, fill: false, className: "gemeente-outline" },
      }).addTo(leaflet);
    } catch (err) {
      showError(err);
    }
  }

  store.subscribe(["catalogue"], (state) => {
    renderList();
    if (autoShown || !state.catalogue) return;
    autoShown = true;
    for (const name of defaultOverlays(state.catalogue)) toggle(name, true);
  });
  store.subscribe(["lang"], renderList);
  store.subscribe(["view"], refreshSoon);
  // a link or the history chose the overlays: switch each one that differs
  store.subscribe(["layersOn"], (state) => {
    if (!state.layersOn || !state.catalogue) return;
    for (const layer of overlayLayers()) {
      const wanted = state.layersOn.includes(layer.name);
      if (Boolean(overlays.get(layer.name)?.on) !== wanted) toggle(layer.name, wanted);
    }
  });

  return { loadOutlines };
}
