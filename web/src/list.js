/*
 * @module list
 * The ranked list of the sites in view (a listbox): rank, rank stability, name, kind,
 * municipality, an office's vacancy, the score with the range its missing data leave open
 * (range.js; pale when the score is uncertain), "!" when there is something a person should
 * check (the API's `checks`), and ▲/▼ after a change of weights. Keyboard: a roving tab stop,
 * arrows/Home/End move, Enter/Space select. Hover is shared with the map (`hoveredId`).
 */

import { $, fill, h } from "./dom.js";
import { date, isNumber, number, percent, score } from "./format.js";
import { t } from "./i18n.js";
import { kindShape, kindTitle } from "./kinds.js";
import { STABILITY_K, siteId } from "./sites.js";
import { EXCLUDED_FILL, scoreColour, shapeIcon } from "./symbols.js";
import { isUncertain, rangeBar, rangeLabel, rangeText } from "./range.js";

const STABILITY_ROBUST = 0.9;
const STABILITY_SHAKY = 0.5;

/**
 * "83%" beside a rank: in how many of the draws (weights ±20 %, each missing criterion 0–1)
 * the site stays in the top k.
 * Green when robust, amber when a top-k site is shaky; sites below the top k that rarely get in
 * are shown quietly (grey) rather than as a warning on every row.
 */
/** The checks of a site in words, e.g. "Ligt net buiten de gemeentegrens (51 m van Enkhuizen)". */
export function checkText(check) {
  if (check?.code === "outside_gemeente") {
    return t("checks.outside_gemeente", { distance: number(check.distance_m), gemeente: check.gemeentenaam ?? "?" });
  }
  return check?.code ?? "";
}

/** An office's vacancy in words: "leeg sinds 1 mrt. 2023", "in gebruik", "leegstand onbekend". */
export function vacancyText(props) {
  if (!props?.vacancy) return "";
  if (props.vacancy === "leeg") {
    return props.vacant_since ? t("vacancy.empty_since", { date: date(props.vacant_since) }) : t("vacancy.empty");
  }
  return props.vacancy === "in gebruik" ? t("vacancy.in_use") : t("vacancy.unknown");
}

export function stabilityBadge(stability, rank) {
  if (!isNumber(stability?.in_top_k)) return null;
  const share = stability.in_top_k;
  const k = stability.k ?? STABILITY_K;
  let level = "is-medium";
  if (share >= STABILITY_ROBUST) level = "is-robust";
  else if (share < STABILITY_SHAKY) level = isNumber(rank) && rank > k ? "is-outside" : "is-shaky";
  return h(
    "span",
    {
      class: `stability ${level}`,
      title: t("stability.title", { pct: percent(share), k }),
      dataset: { share: String(share) },
      "aria-hidden": "true", // the row's aria-label says it in words
    },
    percent(share),
  );
}

/**
 * @param {{onSelect: (id: string) => void}} hooks called when a row is chosen
 * @returns {{focusRow: (id: string) => void, reveal: (id: string) => void}}
 */
export function createList(store, { onSelect }) {
  const list = $("#site-list");

  function rowFor(id) {
    return id ? list.querySelector(`.site-row[data-id="${CSS.escape(id)}"]`) : null;
  }

  function render() {
    const state = store.get();
    if (state.sitesFailed) {
      fill($("#result-count"));
      fill(list, listMessage(h("p", {}, t("list.error"))));
      return;
    }
    if (!state.sites) return; // not loaded yet
    const focusedId = document.activeElement?.closest?.("#site-list .site-row")?.dataset.id ?? null;
    const features = state.sites.features ?? [];
    renderCount(features.length, state.sites.total ?? features.length);
    if (features.length === 0) {
      fill(list, listMessage(h("p", {}, t("list.empty")), h("p", { class: "muted" }, t("list.empty_hint"))));
      return;
    }
    fill(list, ...features.map((feature) => siteRow(state, feature)));

    // Roving tab stop: the previously focused row, the selected row, or the first row.
    const tabRow = rowFor(focusedId) ?? rowFor(state.selectedId) ?? list.querySelector(".site-row");
    tabRow?.setAttribute("tabindex", "0");
    if (focusedId && rowFor(focusedId)) rowFor(focusedId).focus({ preventScroll: true });
  }

  /** A non-selectable message inside the list (it is a listbox, so give it an option role). */
  function listMessage(...children) {
    const attrs = { class: "list-empty", role: "option", "aria-disabled": "true", "aria-selected": "false" };
    return h("li", attrs, ...children);
  }

  function renderCount(shown, total) {
    const main = total === 1 ? t("list.count_one") : t("list.count", { n: number(total) });
    fill(
      $("#result-count"),
      h("span", { class: "count-main" }, main),
      total > shown ? h("span", { class: "count-note" }, t("list.count_shown", { shown, n: number(total) })) : null,
    );
  }

  function siteRow(state, feature) {
    const props = feature.properties ?? {};
    const id = siteId(feature);
    const excluded = Boolean(props.excluded) || !isNumber(props.score);
    const checks = Array.isArray(props.checks) ? props.checks : [];
    const uncertain = !excluded && isUncertain(props);
    const kind = kindTitle(state.catalogue, props.kind);
    const gemeente = props.gemeentenaam ?? "";
    const vacancy = vacancyText(props);
    const label = excluded
      ? t("list.row_label_excluded", { name: props.name, kind, gemeente })
      : [
          t("list.row_label", { rank: props.rank, name: props.name, kind, gemeente, score: score(props.score) }),
          rangeLabel(props),
          uncertain ? t("range.uncertain") : null,
          vacancy || null,
          ...checks.map(checkText),
        ]
          .filter(Boolean)
          .join(", ");
    const stability = excluded ? null : stabilityBadge(props.stability, props.rank);
    const stabilityText = t("list.row_stability", {
      k: props.stability?.k ?? STABILITY_K,
      pct: percent(props.stability?.in_top_k),
    });
    const selected = id === state.selectedId;

    const scoreBlock = excluded
      ? h("span", { class: "row-excluded-tag" }, t("list.excluded"))
      : h(
          "span",
          { class: "row-score" },
          h(
            "span",
            { class: "row-score-line" },
            rankMove(state, id, props.rank),
            h("span", { class: "row-score-value" }, score(props.score)),
          ),
          rangeBar(props),
          h("span", { class: "row-range", "aria-hidden": "true" }, rangeText(props)),
        );

    return h(
      "li",
      {
        class: [
          "site-row",
          excluded ? "is-excluded" : null,
          uncertain ? "is-uncertain" : null,
          selected ? "is-selected" : null,
          id === state.hoveredId ? "is-hover" : null,
        ]
          .filter(Boolean)
          .join(" "),
        role: "option",
        tabindex: "-1",
        "aria-selected": selected ? "true" : "false",
        "aria-label": stability ? `${label}, ${stabilityText}` : label,
        dataset: { id, kind: props.kind ?? "" },
        onclick: () => onSelect(id),
        onkeydown: onRowKeydown,
        onmouseenter: () => store.update({ hoveredId: id }),
        onmouseleave: () => store.update({ hoveredId: null }),
        onfocus: () => store.update({ hoveredId: id }),
        onblur: () => store.update({ hoveredId: null }),
      },
      h(
        "span",
        { class: "row-rank-cell" },
        h("span", { class: "row-rank" }, excluded ? "–" : String(props.rank ?? "")),
        stability,
      ),
      h(
        "span",
        { class: "row-main" },
        h("span", { class: "row-name" }, props.name || id),
        h(
          "span",
          { class: "row-meta" },
          shapeIcon(kindShape(state.catalogue, props.kind), excluded ? EXCLUDED_FILL : scoreColour(props.score)),
          `${kind} · ${gemeente}`,
          vacancy
            ? h(
                "span",
                { class: `row-vacancy is-${props.vacancy.replace(" ", "-")}`, title: vacancy },
                t(`vacancy.short.${props.vacancy.replace(" ", "_")}`),
              )
            : null,
          // "!" only for what a person should look at; missing data shows in the range bar
          checks.length
            ? h("span", { class: "row-check", title: checks.map(checkText).join("; ") }, "!")
            : null,
        ),
      ),
      scoreBlock,
    );
  }

  /** ▲3 / ▼2 after a change of weights or profile: how far the site moved in the list. */
  function rankMove(state, id, rank) {
    if (!state.rankBefore || !isNumber(rank)) return null;
    const was = state.rankBefore.get(id);
    if (was === undefined) return h("span", { class: "rank-move is-new", title: t("list.moved_new") }, "•");
    const delta = was - rank;
    if (delta === 0) return null;
    const up = delta > 0;
    const title = t(up ? "list.moved_up" : "list.moved_down", { n: Math.abs(delta), was });
    return h("span", { class: `rank-move ${up ? "is-up" : "is-down"}`, title }, `${up ? "▲" : "▼"}${Math.abs(delta)}`);
  }

  function onRowKeydown(event) {
    const row = event.currentTarget;
    const rows = [...list.querySelectorAll(".site-row")];
    const index = rows.indexOf(row);
    const targets = {
      ArrowDown: rows[Math.min(rows.length - 1, index + 1)],
      ArrowUp: rows[Math.max(0, index - 1)],
      Home: rows[0],
      End: rows[rows.length - 1],
    };
    if (event.key === "Enter" || event.key === " ") {
      event.preventDefault();
      onSelect(row.dataset.id);
      return;
    }
    if (!(event.key in targets)) return;
    event.preventDefault();
    focusElement(targets[event.key]);
  }

  function focusElement(row) {
    if (!row) return;
    for (const other of list.querySelectorAll(".site-row[tabindex='0']")) other.setAttribute("tabindex", "-1");
    row.setAttribute("tabindex", "0");
    row.focus();
  }

  function markSelected() {
    const { selectedId } = store.get();
    for (const row of list.querySelectorAll(".site-row")) {
      const selected = row.dataset.id === selectedId;
      row.classList.toggle("is-selected", selected);
      row.setAttribute("aria-selected", selected ? "true" : "false");
    }
  }

  function markHovered() {
    const { hoveredId } = store.get();
    for (const row of list.querySelectorAll(".site-row.is-hover")) row.classList.remove("is-hover");
    rowFor(hoveredId)?.classList.add("is-hover");
  }

  store.subscribe(["sites", "sitesFailed", "rankBefore", "catalogue", "lang"], render);
  store.subscribe(["selectedId"], markSelected);
  store.subscribe(["hoveredId"], markHovered);
  store.subscribe(["sitesLoading"], (state) => $("#results").classList.toggle("is-loading", state.sitesLoading));

  return {
    /** Give a row the tab stop and the focus (after the detail panel closes). */
    focusRow: (id) => focusElement(rowFor(id)),
    /** Scroll a row into view and focus it (a site chosen on the map). */
    reveal(id) {
      const row = rowFor(id);
      if (!row) return;
      row.scrollIntoView({ block: "nearest" });
      focusElement(row);
    },
  };
}
