/*
 * @module detail
 * The detail panel over the map's right side: a stored site (GET /api/sites/{id} with the
 * current scoring) or the own site (store key `adhoc`, scored by draw.js). It shows the score
 * with the range its missing data leave open and its completeness (range.js), rank and
 * stability, what a person should check, the breakdown (breakdown.js), the surroundings, size,
 * an office's vacancy, sources and source attributes. For the own site it offers what the
 * owner can fill in (places, floor area) and scores again. The panel is open while a site is
 * selected or an own site is shown; re-scoring re-renders it in place, keeping its scroll
 * position and open sections.
 */

import { $, fill, h } from "./dom.js";
import * as fmt from "./format.js";
import { pick, t } from "./i18n.js";
import { isAbort } from "./api.js";
import { showError } from "./banner.js";
import { breakdownSection, constraintsSection, reasonsSection } from "./breakdown.js";
import { kindShape, kindTitle } from "./kinds.js";
import { featureBounds } from "./map.js";
import { checkText, stabilityBadge, vacancyText } from "./list.js";
import { STABILITY_K, listFeature } from "./sites.js";
import { crosshairIcon, scoreColour, shapeIcon, siteColour } from "./symbols.js";
import { criterionTitle, profileOf, sameWeights, weightsAreCustom } from "./weights.js";
import { hasRange, isUncertain, rangeBar, rangeText, solidShare } from "./range.js";

/**
 * @param {{onClosed: (id: string|null) => void, onDrawAgain: () => void,
 *   onRescore: (size: {places: number|null, floorArea: number|null}) => void,
 *   sections?: () => Node[]}} hooks
 *   `onClosed` hears the id of the site that was selected when the panel closed; `onDrawAgain`
 *   starts drawing; `onRescore` scores the own site again with what the owner filled in;
 *   `sections` gives parts shown under a stored site's score (the flag panel, flags.js: the same
 *   nodes each time, so what is typed in them stays).
 * @returns {{select: (id: string, options?: {keepView?: boolean}) => void, close: () => void}}
 */
export function createDetail(store, api, map, { onClosed, onDrawAgain, onRescore, sections = () => [] }) {
  const panel = $("#detail");
  let request = null;
  let summary = null; // the list feature of the selected site (shown while the detail loads)

  /** Select site `id`; `keepView`: the view came with it (a shared link), the map stays. */
  function select(id, { keepView = false } = {}) {
    if (!id) return;
    summary = listFeature(store.get(), id) ?? summary;
    store.update({ selectedId: id, detail: null, adhoc: null, keepView });
    load(id);
  }

  /** Fetch the breakdown; on a re-score the old one stays on screen until the new one is in. */
  async function load(id) {
    request?.abort();
    const controller = new AbortController();
    request = controller;
    try {
      const state = store.get();
      // the rank among all sites follows the ranking the filter panel chose
      const params = { ...state.scoring, rank_by: state.filters.rankBy };
      const feature = await api.get(`/api/sites/${encodeURIComponent(id)}`, params, {
        signal: controller.signal,
      });
      if (store.get().selectedId === id) store.update({ detail: feature });
    } catch (err) {
      const state = store.get();
      if (!isAbort(err) && state.selectedId === id && !state.detail) close();
      showError(err);
    } finally {
      if (request === controller) request = null;
    }
  }

  function close() {
    const id = store.get().selectedId;
    request?.abort();
    summary = null;
    store.update({ selectedId: null, detail: null, adhoc: null });
    onClosed(id);
  }

  function zoomToShown() {
    const state = store.get();
    const feature = state.adhoc ? state.adhoc.feature ?? { geometry: state.adhoc.geometry } : state.detail;
    map.fitIntoView(featureBounds(feature));
  }

  function render() {
    const state = store.get();
    panel.hidden = !state.selectedId && !state.adhoc;
    panel.classList.toggle("is-adhoc", Boolean(state.adhoc));
    if (state.adhoc) renderAdhoc(state);
    else if (state.selectedId) renderSite(state);
  }

  function renderSite(state) {
    summary = listFeature(state, state.selectedId) ?? summary;
    const feature = state.detail ?? summary;
    const props = feature?.properties ?? {};
    const icon = shapeIcon(kindShape(state.catalogue, props.kind), siteColour(props));
    fill($("#detail-kind"), icon, kindTitle(state.catalogue, props.kind));
    $("#detail-name").textContent = props.name || state.selectedId;
    $("#detail-gemeente").textContent = props.gemeentenaam ?? "";
    if (!state.detail) {
      // The list rank is not the rank among all sites: leave it out until the detail is in.
      fillBody(feature ? scoreSection(state, { ...props, rank: null }) : null, loading());
      return;
    }
    const breakdown = props.breakdown ?? [];
    fillBody(
      scoreSection(state, props, listFeature(state, state.selectedId)?.properties ?? null),
      checksSection(props),
      sections(),
      reasonsSection(state, props),
      breakdownSection(state, breakdown),
      constraintsSection(state, breakdown),
      surroundings(props),
      size(props),
      vacancySection(props),
      sources(state, props.sources ?? []),
      attributes(state, props),
    );
  }

  function renderAdhoc(state) {
    const adhoc = state.adhoc;
    const props = adhoc.feature?.properties ?? {};
    fill($("#detail-kind"), crosshairIcon(), t("adhoc.kind"));
    $("#detail-name").textContent = adhoc.label || (adhoc.geometry.type === "Point" ? t("adhoc.point") : t("adhoc.polygon"));
    $("#detail-gemeente").textContent = adhocWhere(adhoc);
    if (!adhoc.feature) {
      fillBody(loading());
      return;
    }
    const again = h(
      "button",
      { type: "button", id: "adhoc-again", class: "link-button", onclick: onDrawAgain },
      t("adhoc.again"),
    );
    const breakdown = props.breakdown ?? [];
    fillBody(
      scoreSection(state, props),
      fillInSection(adhoc, props),
      h("p", { class: "adhoc-note" }, t("adhoc.note"), " ", again),
      reasonsSection(state, props),
      breakdownSection(state, breakdown),
      constraintsSection(state, breakdown),
      surroundings(props),
      size(props),
    );
  }

  /** Replace the detail body, keeping its scroll position and open <details>. */
  function fillBody(...children) {
    const body = $("#detail-body");
    const scrollTop = body.scrollTop;
    const open = [...body.querySelectorAll("details[open]")].map((d) => d.className);
    fill(body, ...children);
    for (const details of body.querySelectorAll("details")) {
      if (open.includes(details.className)) details.open = true;
    }
    body.scrollTop = scrollTop;
  }

  /**
   * What the owner of the own site can fill in to narrow its range (the API's `fill_in`: the
   * number of places or the floor area), with a button that scores it again.
   */
  function fillInSection(adhoc, props) {
    const wanted = Array.isArray(props.fill_in) ? props.fill_in : [];
    const given = adhoc.places !== null && adhoc.places !== undefined;
    if (!wanted.length && !given && !fmt.isNumber(adhoc.floorArea)) return null;
    const input = (id, label, value, step) =>
      h(
        "div",
        { class: "field" },
        h("label", { for: id }, label),
        h("input", { type: "number", id, min: "0", step, inputmode: "numeric", value: value ?? "" }),
      );
    const read = (id) => {
      const text = $(`#${id}`).value.trim();
      const value = text === "" ? NaN : Number(text);
      return Number.isFinite(value) && value >= 0 ? value : null;
    };
    const submit = (event) => {
      event.preventDefault();
      onRescore({ places: read("adhoc-fill-places"), floorArea: read("adhoc-fill-floor") });
    };
    return h(
      "form",
      { class: "detail-section adhoc-fill", id: "adhoc-fill", onsubmit: submit },
      h("h3", {}, t("adhoc.fill_heading")),
      wanted.length ? h("p", { class: "muted small" }, t("adhoc.fill_hint")) : null,
      h(
        "div",
        { class: "field-row" },
        input("adhoc-fill-places", t("adhoc.fill_places"), adhoc.places, "1"),
        input("adhoc-fill-floor", t("adhoc.fill_floor"), adhoc.floorArea, "1"),
      ),
      h("button", { type: "submit", id: "adhoc-rescore", class: "button-primary" }, t("adhoc.rescore")),
    );
  }

  /**
   * The big score, the range its missing data leave open with the completeness, the site's
   * rank among all sites, and (from the list, if the site is in it) its place in the list and
   * its rank stability.
   */
  function scoreSection(state, props, listProps = null) {
    const excluded = Boolean(props.excluded) || !fmt.isNumber(props.score);
    const listRank = listProps?.rank;
    const rankText =
      excluded || !fmt.isNumber(props.rank)
        ? null
        : [
            t("detail.rank", { rank: props.rank }),
            fmt.isNumber(listRank) && listRank !== props.rank ? t("detail.rank_list", { rank: listRank }) : null,
          ]
            .filter(Boolean)
            .join(" · ");
    const stability = excluded ? null : listProps?.stability;
    return h(
      "div",
      { class: `detail-score${excluded ? " is-excluded" : ""}` },
      h(
        "div",
        { class: "score-big", style: { "--score-colour": scoreColour(props.score) } },
        h("span", { class: "score-big-label" }, t("detail.score")),
        h(
          "span",
          { id: "detail-score", class: "score-big-value" },
          excluded ? t("detail.excluded") : fmt.score(props.score),
        ),
      ),
      rankText ? h("span", { class: "score-rank" }, rankText) : null,
      excluded ? null : rangeSection(state, props),
      h(
        "div",
        { class: "actions" },
        h(
          "button",
          { type: "button", id: "detail-zoom", class: "button-secondary", onclick: zoomToShown },
          t("detail.zoom"),
        ),
      ),
      h(
        "p",
        { class: "detail-profile" },
        profileText(state, props),
        fmt.isNumber(stability?.in_top_k)
          ? h(
              "span",
              { class: "detail-stability" },
              stabilityBadge(stability, listRank),
              " ",
              t("detail.stability", { k: stability.k ?? STABILITY_K }),
            )
          : null,
      ),
    );
  }

  store.subscribe(["sites"], (state) => {
    if (state.selectedId) summary = listFeature(state, state.selectedId) ?? summary;
  });
  store.subscribe(["scoring"], (state) => {
    if (state.selectedId && !state.adhoc) load(state.selectedId);
  });
  store.subscribe(["filters"], (state, previous) => {
    if (state.filters.rankBy !== previous.filters.rankBy && state.selectedId && !state.adhoc) load(state.selectedId);
  });
  store.subscribe(["selectedId", "detail", "adhoc", "sites", "lang", "profiles", "catalogue", "scoring"], render);
  $("#detail-close").addEventListener("click", close);

  return { select, close };
}

/**
 * The range bar with its words: "Bereik 0,67–0,92: 75% van het gewicht heeft gegevens;
 * onbekend: Bestemming (telt als 0 tot 1)", and why an uncertain score ranks after the solid ones.
 */
function rangeSection(state, props) {
  if (!hasRange(props)) return null;
  const missing = (props.missing ?? []).map((name) => criterionTitle(state, name) || name);
  const words = [
    t("range.detail", { range: rangeText(props), pct: fmt.percent(props.completeness) }),
    missing.length ? t("range.missing", { list: fmt.list(missing) }) : t("range.complete"),
  ];
  return h(
    "div",
    { class: `detail-range${isUncertain(props) ? " is-uncertain" : ""}` },
    rangeBar(props, { large: true }),
    h("p", { id: "detail-range-text", class: "detail-range-text" }, words.join("; ")),
    isUncertain(props)
      ? h("p", { class: "detail-range-note" }, t("range.uncertain_note", { solid: fmt.percent(solidShare(state)) }))
      : null,
  );
}

/** "Let op": what a person should check before relying on the site (the API's `checks`). */
function checksSection(props) {
  const checks = Array.isArray(props.checks) ? props.checks : [];
  if (!checks.length) return null;
  return h(
    "section",
    { class: "detail-section detail-checks" },
    h("h3", {}, t("checks.heading")),
    h("ul", {}, checks.map((check) => h("li", { dataset: { check: check.code } }, checkText(check)))),
  );
}

/** An office's vacancy (leeg / in gebruik / onbekend) and its municipality's figure as context. */
function vacancySection(props) {
  if (!props.vacancy) return null;
  const own = props.props ?? {};
  const rows = [
    [t("vacancy.status"), vacancyText(props), "status"],
    fmt.isNumber(own.leegstand_m2) ? [t("vacancy.register_m2"), fmt.area(own.leegstand_m2), "register"] : null,
    fmt.isNumber(own.leegstand_gemeente_m2)
      ? [
          t("vacancy.gemeente", { gemeente: props.gemeentenaam ?? "" }),
          `${fmt.area(own.leegstand_gemeente_m2)} · ${t("vacancy.gemeente_note")}`,
          "gemeente",
        ]
      : null,
  ].filter(Boolean);
  return kvSection("detail-vacancy", t("vacancy.heading"), rows, "vacancy");
}

/** A section of label–value rows, each row tagged `data-<key>="<name>"` (for tests, styling). */
function kvSection(className, heading, rows, key) {
  return h(
    "section",
    { class: `detail-section ${className}` },
    h("h3", {}, heading),
    h(
      "dl",
      { class: "kv-list" },
      rows.map(([k, v, name]) => h("div", { class: "kv", dataset: { [key]: name } }, h("dt", {}, k), h("dd", {}, v))),
    ),
  );
}

function loading() {
  const spinner = h("span", { class: "spinner", "aria-hidden": "true" });
  return h("p", { class: "detail-loading" }, spinner, t("detail.loading"));
}

/** "Profiel: Standaard" or "Profiel: Standaard, eigen weging": what the score was computed with. */
function profileText(state, props) {
  const name = props.profile ?? state.profile;
  const profile = profileOf(state, name);
  const title = pick(profile?.title) || name || "";
  if (!title) return null;
  const custom = props.weights ? !sameWeights(state, props.weights, profile?.weights) : weightsAreCustom(state);
  return t(custom ? "detail.profile_custom" : "detail.profile", { profile: title });
}

/** Nearest stop, care and supermarket (`properties.nearest`) with the estimated walk. */
function surroundings(props) {
  const nearest = props.nearest ?? {};
  const place = (key, label, found) =>
    h(
      "div",
      { class: "kv", dataset: { place: key } },
      h("dt", {}, label),
      h(
        "dd",
        {},
        found
          ? [
              h("span", { class: "kv-strong" }, found.name || "–"),
              found.category ? ` (${fmt.category(found.category)})` : "",
              ` · ${fmt.distance(found.walk_m ?? found.distance_m)}`,
            ]
          : h("span", { class: "muted" }, t("detail.none_found")),
      ),
    );
  return h(
    "section",
    { class: "detail-section detail-surroundings" },
    h("h3", {}, t("detail.surroundings")),
    h(
      "dl",
      { class: "kv-list" },
      place("stop", t("detail.nearest_stop"), nearest.stop),
      place("care", t("detail.nearest_care"), nearest.care),
      place("supermarket", t("detail.nearest_supermarket"), nearest.supermarket),
    ),
  );
}

/** Area, floor area and the places the score used (one number: the API's `places`). */
function size(props) {
  const source = props.places_source ? t(`detail.places_source.${props.places_source}`) : "";
  const places = fmt.isNumber(props.places)
    ? `${fmt.number(props.places)} ${t("unit.places")}${source ? ` (${source})` : ""}`
    : t("detail.unknown");
  const rows = [
    [t("detail.area"), fmt.area(props.area_m2), "area"],
    "floor_area_m2" in props ? [t("detail.floor_area"), fmt.area(props.floor_area_m2), "floor-area"] : null,
    [t("detail.places"), places, "places"],
  ].filter(Boolean);
  return kvSection("detail-size", t("detail.size"), rows, "size");
}

function sources(state, list) {
  if (!list.length) return null;
  const layerTitle = (name) => pick(state.catalogue?.find((l) => l.name === name)?.title) || name;
  const item = (src) => {
    const ref =
      src.source_ref && /^https?:\/\//.test(src.source_ref)
        ? h("a", { href: src.source_ref, target: "_blank", rel: "noopener noreferrer" }, src.source || src.source_ref)
        : src.source || src.source_ref || "";
    const meta = [
      src.publisher,
      src.licence ? t("detail.licence", { licence: src.licence }) : null,
      src.data_as_of ? t("detail.as_of", { date: fmt.date(src.data_as_of) }) : null,
    ].filter(Boolean);
    return h(
      "li",
      {},
      h("span", { class: "kv-strong" }, layerTitle(src.layer)),
      ": ",
      ref,
      meta.length ? h("span", { class: "source-meta" }, meta.join(" · ")) : null,
    );
  };
  return h(
    "section",
    { class: "detail-section detail-sources" },
    h("h3", {}, t("detail.sources")),
    h("ul", {}, list.map(item)),
  );
}

function attributes(state, props) {
  const entries = Object.entries(props.props ?? {}).filter(([, v]) => v !== null && v !== "");
  const kv = (dt, dd) => h("div", { class: "kv" }, dt, dd);
  const idRow = kv(h("dt", {}, t("detail.id")), h("dd", { class: "mono" }, props.id ?? state.selectedId));
  const rows = entries.map(([key, value]) =>
    kv(h("dt", { class: "mono" }, key), h("dd", {}, typeof value === "object" ? JSON.stringify(value) : String(value))),
  );
  return h(
    "details",
    { class: "detail-section detail-props" },
    h("summary", {}, t("detail.props")),
    h("dl", { class: "kv-list" }, idRow, rows),
  );
}

function adhocWhere(adhoc) {
  const geometry = adhoc.geometry;
  if (geometry.type === "Point") {
    const [lon, lat] = geometry.coordinates;
    return t("adhoc.where_point", { lat: fmt.number(lat, 5), lon: fmt.number(lon, 5) });
  }
  const area = adhoc.feature?.properties?.area_m2;
  return fmt.isNumber(area) ? fmt.area(area) : "";
}
