/*
 * @module flags
 * Province flags on the page: the workflow (GET /api/flags/statuses, store `statuses`), the
 * status filter and "colour the map by status" (store `filters.status`, `statusColours`), and
 * the flag panel in a site's detail (GET/PUT /api/flags/sites/{id}): the status as the viewer
 * may see it, the form for who may change it (only the statuses the workflow allows next), the
 * park facts for conversion, and the audit trail with its CSV export (GET /api/audit).
 * What the viewer may not see never reaches the page: the API filters it (scope filter).
 */

import { $, fill, h } from "./dom.js";
import * as fmt from "./format.js";
import { t } from "./i18n.js";
import { showError } from "./banner.js";
import { isAbort } from "./api.js";
import { statusColour, statusTitle } from "./statuses.js";

/** Reload the site list (and so the markers) after a flag changed or the viewer did. */
export function refreshSites(store) {
  store.update((state) => ({ filters: { ...state.filters } }));
}

export function statusBadge(state, code, { confidential = false } = {}) {
  return h(
    "span",
    { class: "status-badge", dataset: { status: code } },
    h("span", { class: "status-dot", style: { background: statusColour(state, code) }, "aria-hidden": "true" }),
    statusTitle(state, code),
    confidential ? h("span", { class: "confidential-badge" }, t("flags.confidential_badge")) : null,
  );
}

function parseTags(text) {
  return text
    .split(",")
    .map((tag) => tag.trim())
    .filter(Boolean);
}

/** @returns {{element: HTMLElement, loadStatuses: () => Promise<void>}} */
export function createFlags(store, api) {
  const element = h("section", { id: "flag-panel", class: "detail-section flag-panel", "aria-labelledby": "flag-heading" });
  const select = $("#filter-status");
  const colours = $("#status-colours");
  let panel = null; // GET /api/flags/sites/{id} of the selected site
  let request = null;
  let auditOpen = false;

  async function loadStatuses() {
    try {
      store.update({ statuses: await api.get("/api/flags/statuses") });
    } catch (err) {
      showError(err);
    }
  }

  // --- the status filter, colours and legend (filter panel) ---

  function renderFilter() {
    const state = store.get();
    const all = select.querySelector('option[value=""]');
    const options = (state.statuses?.statuses ?? []).map((s) => h("option", { value: s.code }, statusTitle(state, s.code)));
    fill(select, all, ...options);
    select.value = state.filters.status ?? "";
    const legend = $("#status-legend");
    legend.hidden = !state.statusColours;
    fill(
      legend,
      (state.statuses?.statuses ?? []).map((s) =>
        h("li", {}, h("span", { class: "status-dot", style: { background: s.colour }, "aria-hidden": "true" }), statusTitle(state, s.code)),
      ),
    );
  }

  select.addEventListener("change", () =>
    store.update((state) => ({ filters: { ...state.filters, status: select.value } })),
  );
  colours.addEventListener("change", () => store.update({ statusColours: colours.checked }));

  // --- the flag panel in the detail ---

  async function load(id) {
    request?.abort();
    const controller = new AbortController();
    request = controller;
    try {
      const answer = await api.get(`/api/flags/sites/${encodeURIComponent(id)}`, {}, { signal: controller.signal });
      if (store.get().selectedId === id) {
        panel = answer;
        render();
        if (auditOpen) loadAudit();
      }
    } catch (err) {
      if (!isAbort(err)) showError(err);
    } finally {
      if (request === controller) request = null;
    }
  }

  function render() {
    const state = store.get();
    if (!panel || panel.site_id !== state.selectedId) {
      fill(element);
      return;
    }
    const flag = panel.flag;
    fill(
      element,
      h("h3", { id: "flag-heading" }, t("flags.heading")),
      h("p", { class: "flag-current" }, statusBadge(state, panel.status, { confidential: flag?.confidential })),
      flag?.note ? h("p", { class: "flag-note" }, flag.note) : null,
      flag?.tags?.length ? h("p", { class: "flag-tags" }, flag.tags.map((tag) => h("span", { class: "tag" }, tag))) : null,
      flag ? h("p", { class: "muted flag-updated" }, t("flags.updated", { date: fmt.date(flag.updated_at) })) : null,
      panel.can_edit ? form(state, flag) : null,
      facts(panel.facts),
      state.auth?.user ? audit() : null,
    );
  }

  function form(state, flag) {
    const status = h(
      "select",
      { id: "flag-status" },
      panel.next.map((code) => h("option", { value: code }, statusTitle(state, code))),
    );
    status.value = panel.status;
    const note = h("textarea", { id: "flag-note", rows: "3", maxlength: "4000" });
    note.value = flag?.note ?? "";
    const tags = h("input", { id: "flag-tags", type: "text", autocomplete: "off" });
    tags.value = (flag?.tags ?? []).join(", ");
    const confidential = h("input", { id: "flag-confidential", type: "checkbox" });
    confidential.checked = Boolean(flag?.confidential);
    const message = h("p", { id: "flag-message", class: "flag-message", role: "status", "aria-live": "polite" });
    const save = async (event) => {
      event.preventDefault();
      const siteId = panel.site_id;
      const body = {
        status: status.value,
        note: note.value,
        tags: parseTags(tags.value),
        confidential: confidential.checked,
      };
      try {
        panel = await api.put(`/api/flags/sites/${encodeURIComponent(siteId)}`, {}, body);
        render();
        $("#flag-message").textContent = t("flags.saved");
        $("#flag-save")?.focus();
        refreshSites(store);
        if (auditOpen) loadAudit();
      } catch (err) {
        message.textContent = err.message;
      }
    };
    return h(
      "form",
      { class: "flag-form", onsubmit: save },
      h("div", { class: "field" }, h("label", { for: "flag-status" }, t("flags.status")), status),
      h("div", { class: "field" }, h("label", { for: "flag-note" }, t("flags.note")), note),
      h("div", { class: "field" }, h("label", { for: "flag-tags" }, t("flags.tags")), tags),
      h(
        "div",
        { class: "field checkbox-field" },
        confidential,
        h("label", { for: "flag-confidential" }, t("flags.confidential")),
      ),
      h("button", { type: "submit", id: "flag-save", class: "button-primary" }, t("flags.save")),
      message,
    );
  }

  function facts(f) {
    if (!f) return null;
    const known = (value, text) =>
      value === null || value === undefined ? h("span", { class: "muted" }, t("detail.unknown")) : text;
    const zoning = f.zoning.known ? (f.zoning.class ?? t("park.zoning_none")) : null;
    const natura = f.natura2000.known
      ? f.natura2000.inside
        ? t("park.natura_inside")
        : fmt.isNumber(f.natura2000.distance_m)
          ? t("park.natura_outside_m", { distance: fmt.distance(f.natura2000.distance_m) })
          : t("park.natura_outside")
      : null;
    const rows = [
      [t("detail.area"), known(f.area_m2, fmt.area(f.area_m2)), "area"],
      [t("park.pitches"), known(f.pitches.value, fmt.number(f.pitches.value)), "pitches"],
      [t("park.chalets"), known(f.chalets.value, fmt.number(f.chalets.value)), "chalets"],
      [t("park.zoning"), known(zoning, zoning), "zoning"],
      [t("park.natura"), known(natura, natura), "natura2000"],
      [t("park.village_core"), h("span", { class: "muted" }, t("park.village_core_unknown")), "village-core"],
      [t("park.supermarket"), known(f.nearest_supermarket_m, fmt.distance(f.nearest_supermarket_m)), "supermarket"],
    ];
    return h(
      "div",
      { class: "park-facts" },
      h("h4", {}, t("park.heading")),
      h(
        "dl",
        { class: "kv-list" },
        rows.map(([k, v, name]) => h("div", { class: "kv", dataset: { fact: name } }, h("dt", {}, k), h("dd", {}, v))),
      ),
    );
  }

  // --- the audit trail ---

  const auditList = h("ol", { id: "audit-list", class: "audit-list" });
  const auditDetails = h("details", { class: "flag-audit", id: "flag-audit" });
  auditDetails.addEventListener("toggle", () => {
    auditOpen = auditDetails.open;
    if (auditOpen) loadAudit();
  });

  function audit() {
    const id = panel.site_id;
    const link = h(
      "a",
      { id: "audit-export", class: "link-button", href: `/api/audit.csv?site_id=${encodeURIComponent(id)}`, download: "" },
      t("audit.export"),
    );
    fill(auditDetails, h("summary", {}, t("audit.heading")), auditList, h("p", {}, link));
    auditDetails.open = auditOpen;
    return auditDetails;
  }

  async function loadAudit() {
    const id = panel?.site_id;
    if (!id || !store.get().auth?.user) return;
    try {
      const answer = await api.get("/api/audit", { site_id: id });
      if (panel?.site_id !== id) return;
      const state = store.get();
      const entries = answer.entries ?? [];
      fill(
        auditList,
        entries.length
          ? entries.map((e) =>
              h(
                "li",
                { class: "audit-entry", dataset: { entry: String(e.id) } },
                h("span", { class: "audit-when" }, `${fmt.date(e.at)} · ${e.actor}${e.via === "bulk" ? ` · ${t("audit.bulk")}` : ""}`),
                h(
                  "span",
                  { class: "audit-change" },
                  e.from_status ? statusTitle(state, e.from_status) : t("audit.new"),
                  " → ",
                  statusTitle(state, e.to_status),
                  e.to_confidential ? ` (${t("flags.confidential_badge")})` : "",
                ),
                e.note ? h("span", { class: "audit-note" }, e.note) : null,
              ),
            )
          : h("li", { class: "muted" }, t("audit.none")),
      );
    } catch (err) {
      showError(err);
    }
  }

  store.subscribe(["selectedId", "adhoc"], (state) => {
    panel = null;
    fill(element);
    if (state.selectedId && !state.adhoc) load(state.selectedId);
  });
  store.subscribe(["auth"], (state, previous) => {
    if (previous.auth?.user?.id === state.auth?.user?.id) return;
    refreshSites(store);
    if (state.selectedId && !state.adhoc) load(state.selectedId);
  });
  store.subscribe(["lang", "statuses"], () => render());
  store.subscribe(["statuses", "lang", "filters", "statusColours"], renderFilter);

  return { element, loadStatuses, reload: () => store.get().selectedId && load(store.get().selectedId) };
}
