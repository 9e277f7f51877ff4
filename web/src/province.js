/*
 * @module province
 * The province view: a province's holiday parks by flag status, with the count per status
 * (GET /api/flags/provincies/{code}); a count chosen filters the map on that status. Parks
 * that are not assessed are counted, the others listed (a click opens the park). The flagged
 * list of the province exports as CSV (GET /api/flags.csv). A flag the viewer may not see
 * counts as not assessed: the API decides (scope filter).
 */

import { $, fill, h } from "./dom.js";
import { number } from "./format.js";
import { t } from "./i18n.js";
import { showError } from "./banner.js";
import { statusBadge } from "./flags.js";
import { statusTitle } from "./statuses.js";

const PARK_KIND = "vakantiepark";

export function createProvince(store, api, { onSelect }) {
  const panel = $("#province-panel");
  const choice = $("#province-select");
  let provinces = null;
  let view = null;

  /** The viewer's own province (a provincie grant, else a coordinator's), if any. */
  function ownProvince() {
    const roles = store.get().auth?.user?.roles ?? [];
    return (roles.find((g) => g.role === "provincie") ?? roles.find((g) => g.role === "coordinator" && g.scope !== "NL"))?.scope;
  }

  async function loadProvinces() {
    if (provinces) return;
    try {
      const layer = await api.get("/api/layers/provincies", { limit: 50 });
      provinces = layer.features.map((f) => ({ code: f.properties.code, name: f.properties.name }));
      provinces.sort((a, b) => a.name.localeCompare(b.name));
      fill(choice, provinces.map((p) => h("option", { value: p.code }, p.name)));
      choice.value = ownProvince() ?? provinces[0]?.code ?? "";
    } catch (err) {
      showError(err);
    }
  }

  async function load() {
    if (!panel.open) return;
    await loadProvinces();
    const code = choice.value;
    if (!code) return;
    $("#province-export").href = `/api/flags.csv?provincie=${encodeURIComponent(code)}`;
    try {
      view = await api.get(`/api/flags/provincies/${encodeURIComponent(code)}`, { kind: PARK_KIND });
      render();
    } catch (err) {
      showError(err);
    }
  }

  function render() {
    const state = store.get();
    if (!view) return;
    const counts = (state.statuses?.statuses ?? []).map((s) =>
      h(
        "button",
        {
          type: "button",
          class: "province-count",
          dataset: { status: s.code },
          "aria-pressed": String(state.filters.status === s.code),
          onclick: () => store.update((st) => ({ filters: { ...st.filters, status: st.filters.status === s.code ? "" : s.code } })),
        },
        statusBadge(state, s.code),
        h("span", { class: "province-count-n" }, number(view.counts[s.code] ?? 0)),
      ),
    );
    const groups = (state.statuses?.statuses ?? [])
      .filter((s) => s.code !== state.statuses.default)
      .map((s) => {
        const sites = view.sites.filter((site) => site.status === s.code);
        if (!sites.length) return null;
        return h(
          "section",
          { class: "province-group", dataset: { status: s.code } },
          h("h3", {}, `${statusTitle(state, s.code)} (${number(sites.length)})`),
          h(
            "ul",
            {},
            sites.map((site) =>
              h(
                "li",
                {},
                h(
                  "button",
                  { type: "button", class: "link-button province-site", dataset: { id: site.site_id }, onclick: () => onSelect(site.site_id) },
                  site.name || site.site_id,
                ),
                site.gemeentenaam ? ` · ${site.gemeentenaam}` : "",
                site.confidential ? h("span", { class: "confidential-badge" }, t("flags.confidential_badge")) : null,
              ),
            ),
          ),
        );
      });
    fill(
      $("#province-counts"),
      h("p", { class: "province-total" }, t("province.total", { n: number(view.total), name: view.name })),
      h("div", { class: "province-count-list", role: "group", "aria-label": t("province.counts") }, counts),
    );
    fill($("#province-list"), groups);
  }

  panel.addEventListener("toggle", load);
  choice.addEventListener("change", load);
  store.subscribe(["auth"], () => {
    const own = ownProvince();
    if (own && provinces) choice.value = own;
    load();
  });
  store.subscribe(["statuses", "lang", "filters"], render);
  return { reload: load };
}
