/*
 * @module demands
 * The municipality's and coordinator's panel: a gemeente posts a demand (profile, places,
 * period, area: its territory, a radius around the map's centre or the drawn own-site polygon,
 * care within a distance) with POST /api/demands; everyone in scope picks a demand and sees its
 * matches (GET /api/demands/{id}/matches: offers first, then candidate sites, each with why it
 * matches and what is unknown; when no single offer has enough places, the combinations of
 * offers whose places add up, each member with its reasons); a coordinator proposes one, or a
 * combination (POST /api/matches with property_ids); the parties
 * move proposals on (POST /api/matches/{id}/status). "Save as search" turns the demand's
 * criteria into a saved search with alerts (POST /api/searches; its feed address shown once).
 */

import { $, fill, h } from "./dom.js";
import { pick, t } from "./i18n.js";
import { showError } from "./banner.js";

const ROLES = ["gemeente", "provincie", "coordinator"];

/** @returns {{reload: () => Promise<void>}} */
export function createDemands(store, api, map, { onChanged = () => {} } = {}) {
  const panel = $("#demands-panel");
  let demands = [];
  let loaded = null;

  const roles = () => store.get().auth?.user?.roles ?? [];
  const has = (role) => roles().some((r) => r.role === role);

  function number(id) {
    const text = $(id).value.trim();
    const value = text === "" ? NaN : Number(text);
    return Number.isFinite(value) ? value : null;
  }

  function fillProfiles() {
    const profiles = store.get().profiles?.profiles ?? [];
    const select = $("#demand-profile");
    const current = select.value;
    fill(select, profiles.map((p) => h("option", { value: p.name }, pick(p.title))));
    if (current) select.value = current;
  }

  function area() {
    const kind = $("#demand-area").value;
    if (kind === "radius") {
      const c = map.leaflet.getCenter();
      return { area_kind: "radius", radius_m: number("#demand-radius"), center: { type: "Point", coordinates: [Number(c.lng.toFixed(6)), Number(c.lat.toFixed(6))] } };
    }
    if (kind === "polygon") {
      const geometry = store.get().adhoc?.geometry;
      if (geometry?.type !== "Polygon") throw new Error(t("demands.need_polygon"));
      return { area_kind: "polygon", polygon: geometry };
    }
    return { area_kind: "territory" };
  }

  async function post(event) {
    event.preventDefault();
    try {
      const made = await api.post("/api/demands", {}, {
        title: $("#demand-title").value.trim(),
        profile: $("#demand-profile").value,
        places: number("#demand-places"),
        period_from: $("#demand-from").value,
        period_to: $("#demand-to").value || null,
        max_care_m: number("#demand-care"),
        ...area(),
      });
      await reload(made.id);
    } catch (err) {
      showError(err);
    }
  }

  function why(reason) {
    const { code, ...params } = reason;
    if (code === "score") return t("match.why.score", { score: Number(params.score).toFixed(2) });
    return t(`match.why.${code}`, { ...params, to: params.to ?? "…" });
  }

  async function propose(demandId, candidate) {
    try {
      const body = candidate.source === "offer" ? { demand_id: demandId, property_id: candidate.property_id } : { demand_id: demandId, site_id: candidate.site_id };
      await api.post("/api/matches", {}, { ...body, note: "" });
      await showMatches();
      onChanged();
    } catch (err) {
      showError(err);
    }
  }

  async function proposeCombination(demandId, combination) {
    try {
      await api.post("/api/matches", {}, { demand_id: demandId, property_ids: combination.property_ids, note: "" });
      await showMatches();
      onChanged();
    } catch (err) {
      showError(err);
    }
  }

  function unknownLine(unknown) {
    return unknown.length ? h("p", { class: "match-unknown" }, t("match.unknown", { list: unknown.map((u) => t(`match.unknown.${u}`)).join(", ") })) : null;
  }

  function combinationItem(demandId, c) {
    const members = c.members.map((m) => h(
      "li",
      { class: "combination-member", dataset: { candidate: m.id } },
      h("strong", {}, m.name || m.id),
      " ",
      t("offers.n_places", { n: m.places }),
      h("ul", { class: "match-why" }, m.why.map((r) => h("li", {}, why(r)))),
    ));
    return h(
      "li",
      { class: "match-item candidate source-combination", dataset: { candidate: c.id } },
      h("span", { class: "match-source" }, t("match.source.combination")),
      " ",
      h("strong", {}, c.members.map((m) => m.name || m.id).join(" + ")),
      " ",
      h("span", { class: "match-score" }, c.score === null ? "?" : c.score.toFixed(2)),
      h("ul", { class: "match-why" }, c.why.map((r) => h("li", {}, why(r)))),
      h("ul", { class: "combination-members" }, members),
      unknownLine(c.unknown),
      has("coordinator")
        ? h("button", { type: "button", class: "button-secondary match-propose", onclick: () => proposeCombination(demandId, c) }, t("match.propose_combination"))
        : null,
    );
  }

  function candidateItem(demandId, c) {
    const contact = c.offer && (c.offer.contact_name || c.offer.contact_email)
      ? h("p", { class: "match-contact" }, [c.offer.contact_name, c.offer.contact_email, c.offer.contact_phone].filter(Boolean).join(" · "))
      : null;
    return h(
      "li",
      { class: `match-item candidate source-${c.source}`, dataset: { candidate: c.id } },
      h("span", { class: "match-source" }, t(`match.source.${c.source}`)),
      " ",
      h("strong", {}, c.name || c.id),
      " ",
      h("span", { class: "match-score" }, c.score === null ? "?" : c.score.toFixed(2)),
      h("ul", { class: "match-why" }, c.why.map((r) => h("li", {}, why(r)))),
      unknownLine(c.unknown),
      contact,
      has("coordinator")
        ? h("button", { type: "button", class: "button-secondary match-propose", onclick: () => propose(demandId, c) }, t("match.propose"))
        : null,
    );
  }

  async function moveMatch(id, status) {
    try {
      await api.post(`/api/matches/${id}/status`, {}, { status, note: "" });
      await showMatches();
      onChanged();
    } catch (err) {
      showError(err);
    }
  }

  function proposalItem(m) {
    return h(
      "li",
      { class: "match-item proposal", dataset: { matchId: String(m.id), status: m.status } },
      h("strong", {}, m.name || m.site_id || ""),
      " ",
      h("span", { class: `match-status status-${m.status}` }, t(`match.status.${m.status}`)),
      m.combination_id ? h("span", { class: "match-combination" }, " ", t("match.in_combination", { id: m.combination_id })) : null,
      m.contact_name || m.contact_email ? h("p", { class: "match-contact" }, [m.contact_name, m.contact_email, m.contact_phone].filter(Boolean).join(" · ")) : null,
      h("div", { class: "match-actions" }, m.next.map((s) => h("button", { type: "button", class: "button-secondary", onclick: () => moveMatch(m.id, s) }, t(`match.to.${s}`)))),
    );
  }

  async function showMatches() {
    const id = Number($("#demand-select").value);
    $("#demand-save-search").hidden = !id;
    if (!id) {
      fill($("#demand-matches"));
      fill($("#demand-proposals"));
      return;
    }
    try {
      const [found, { matches }] = await Promise.all([api.get(`/api/demands/${id}/matches`), api.get("/api/matches", { demand_id: id })]);
      const all = [...found.offers.map((c) => candidateItem(id, c)), ...found.combinations.map((c) => combinationItem(id, c)), ...found.sites.map((c) => candidateItem(id, c))];
      fill($("#demand-matches"), all.length ? all : h("li", { class: "muted" }, t("match.none")));
      fill($("#demand-proposals"), matches.length ? matches.map(proposalItem) : h("li", { class: "muted" }, t("match.no_proposals")));
    } catch (err) {
      showError(err);
    }
  }

  async function saveSearch() {
    const d = demands.find((x) => x.id === Number($("#demand-select").value));
    if (!d) return;
    try {
      const made = await api.post("/api/searches", {}, {
        name: d.title || t("demands.search_name", { places: d.places }),
        profile: d.profile,
        places: d.places,
        period_from: d.period_from,
        period_to: d.period_to,
        gemeentecode: d.gemeentecode,
        max_care_m: d.max_care_m,
        min_score: d.min_score,
        email: true,
      });
      fill($("#demand-feed"), t("demands.search_saved"), " ", h("a", { href: made.feed_url, id: "demand-feed-link" }, t("demands.feed")));
    } catch (err) {
      showError(err);
    }
  }

  async function reload(select = null) {
    if (!ROLES.some(has)) return;
    try {
      demands = (await api.get("/api/demands")).demands;
      const options = demands.map((d) => h("option", { value: String(d.id) }, `${d.title || t("demands.untitled")} — ${d.gemeentenaam || d.gemeentecode}, ${t("offers.n_places", { n: d.places })}`));
      fill($("#demand-select"), h("option", { value: "" }, t("demands.choose")), options);
      if (select) $("#demand-select").value = String(select);
      else if (demands.length) $("#demand-select").value = String(demands[0].id);
      await showMatches();
    } catch (err) {
      showError(err);
    }
  }

  function render() {
    const shown = ROLES.some(has);
    panel.hidden = !shown;
    $("#demand-form").hidden = !has("gemeente");
    const user = store.get().auth?.user?.id ?? null;
    if (shown && loaded !== user) {
      loaded = user;
      panel.open = true;
      reload();
    }
    if (!shown) loaded = null;
  }

  $("#demand-form").addEventListener("submit", post);
  $("#demand-select").addEventListener("change", showMatches);
  $("#demand-save-search").addEventListener("click", saveSearch);
  store.subscribe(["auth"], render);
  store.subscribe(["profiles", "lang"], fillProfiles);
  return { reload: () => reload($("#demand-select").value || null) };
}
