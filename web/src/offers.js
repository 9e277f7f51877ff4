/*
 * @module offers
 * The owner's panel (role eigenaar): find the property by address (GET /api/geocode: the BAG,
 * or PDOK Locatieserver), draw it with the own-site tool (draw.js) or read it from a file
 * (POST /api/geometry/read), fill in what the data lacks (places, floor area: the score in the
 * detail panel follows), save it privately (POST /api/properties), offer or withdraw it, see
 * the proposals made for it and move them on; delete the account. Reads the store's `auth`
 * and `adhoc` (the drawn or read plot); tells the other panels through `onChanged`.
 */

import * as L from "leaflet";
import { $, fill, h } from "./dom.js";
import { t } from "./i18n.js";
import { showError } from "./banner.js";

/**
 * @returns {{reload: () => Promise<void>}}
 */
export function createOffers(store, api, map, draw, { onChanged = () => {} } = {}) {
  const panel = $("#offers-panel");
  const marker = L.layerGroup().addTo(map.leaflet);
  let loaded = null; // user id the lists were loaded for

  const isOwner = () => Boolean(store.get().auth?.user?.roles?.some((r) => r.role === "eigenaar"));

  function number(id) {
    const text = $(id).value.trim();
    const value = text === "" ? NaN : Number(text);
    return Number.isFinite(value) ? value : null;
  }

  async function findAddress(event) {
    event.preventDefault();
    const q = $("#offer-address").value.trim();
    if (q.length < 3) return;
    try {
      const { addresses } = await api.get("/api/geocode", { q });
      fill(
        $("#offer-addresses"),
        addresses.length
          ? addresses.map((a) =>
              h("li", {}, h("button", { type: "button", class: "link-button", onclick: () => goTo(a) }, a.label)),
            )
          : h("li", { class: "muted" }, t("offers.no_address")),
      );
    } catch (err) {
      showError(err);
    }
  }

  function goTo(address) {
    marker.clearLayers();
    L.circleMarker([address.lat, address.lon], { radius: 6, className: "address-marker" })
      .bindTooltip(address.label)
      .addTo(marker);
    map.leaflet.setView([address.lat, address.lon], 18);
    $("#offer-plot").textContent = t("offers.address_found", { label: address.label });
  }

  async function readFile() {
    const file = $("#offer-file").files?.[0];
    if (!file) return;
    try {
      const read = await api.upload("/api/geometry/read", { filename: file.name }, file);
      draw.show(read.geometry, file.name);
    } catch (err) {
      showError(err);
    } finally {
      $("#offer-file").value = "";
    }
  }

  function renderPlot() {
    const adhoc = store.get().adhoc;
    if (!adhoc) return;
    const props = adhoc.feature?.properties;
    const score = props?.score;
    $("#offer-plot").textContent = props
      ? t("offers.plot_scored", { score: score === null || score === undefined ? "?" : score.toFixed(2) })
      : t("offers.plot_drawn");
  }

  function body() {
    return {
      geometry: store.get().adhoc?.geometry,
      name: $("#offer-name").value.trim(),
      places: number("#offer-places"),
      floor_area_m2: number("#offer-floor"),
      available_from: $("#offer-from").value || null,
      available_to: $("#offer-to").value || null,
      conditions: $("#offer-conditions").value.trim(),
      consent_contact: $("#offer-consent").checked,
      contact_name: $("#offer-contact-name").value.trim(),
      contact_email: $("#offer-contact-email").value.trim(),
      contact_phone: $("#offer-contact-phone").value.trim(),
    };
  }

  async function save(event) {
    event.preventDefault();
    if (!store.get().adhoc?.geometry) {
      showError(new Error(t("offers.no_plot")));
      return;
    }
    try {
      await api.post("/api/properties", {}, body());
      await reload();
      onChanged();
    } catch (err) {
      showError(err);
    }
  }

  // The numbers the owner fills in move the score (the same geometry scored again).
  function rescore() {
    if (store.get().adhoc) draw.rescore({ places: number("#offer-places"), floorArea: number("#offer-floor") });
  }

  async function setStatus(id, action) {
    try {
      await api.post(`/api/properties/${id}/${action}`, {}, {});
      await reload();
      onChanged();
    } catch (err) {
      showError(err);
    }
  }

  async function moveMatch(id, status) {
    try {
      await api.post(`/api/matches/${id}/status`, {}, { status, note: "" });
      await reload();
      onChanged();
    } catch (err) {
      showError(err);
    }
  }

  function propertyItem(p) {
    const actions = [];
    if (p.status !== "offered") {
      actions.push(h("button", { type: "button", class: "button-secondary", onclick: () => setStatus(p.id, "offer") }, t("offers.offer")));
    } else {
      actions.push(h("button", { type: "button", class: "button-secondary", onclick: () => setStatus(p.id, "withdraw") }, t("offers.withdraw")));
    }
    const facts = [
      p.gemeentenaam,
      p.places !== null ? t("offers.n_places", { n: p.places }) : null,
      p.available_from ? t("offers.from_date", { date: p.available_from }) : null,
    ].filter(Boolean);
    return h(
      "li",
      { class: "match-item", dataset: { propertyId: String(p.id), status: p.status } },
      h("strong", {}, p.name || t("offers.unnamed")),
      " ",
      h("span", { class: `match-status status-${p.status}` }, t(`offers.status.${p.status}`)),
      h("p", { class: "muted" }, facts.join(" · ")),
      h("div", { class: "match-actions" }, actions),
    );
  }

  function proposalItem(m) {
    return h(
      "li",
      { class: "match-item proposal", dataset: { matchId: String(m.id), status: m.status } },
      h("strong", {}, m.name || ""),
      " ",
      h("span", { class: `match-status status-${m.status}` }, t(`match.status.${m.status}`)),
      m.combination_id ? h("span", { class: "match-combination" }, " ", t("match.in_combination", { id: m.combination_id })) : null,
      h("p", { class: "muted" }, t("offers.proposal_for", { title: m.demand_title || "", gemeente: m.gemeentenaam || m.gemeentecode, places: m.demand_places ?? "?" })),
      m.note ? h("p", {}, m.note) : null,
      h(
        "div",
        { class: "match-actions" },
        m.next.map((s) => h("button", { type: "button", class: "button-secondary", onclick: () => moveMatch(m.id, s) }, t(`match.to.${s}`))),
      ),
    );
  }

  async function reload() {
    if (!isOwner()) return;
    try {
      const [{ properties }, { matches }] = await Promise.all([
        api.get("/api/properties", { own: true }),
        api.get("/api/matches"),
      ]);
      fill($("#offer-list"), properties.length ? properties.map(propertyItem) : h("li", { class: "muted" }, t("offers.none")));
      const mine = matches.filter((m) => m.own);
      fill($("#offer-proposals"), mine.length ? mine.map(proposalItem) : h("li", { class: "muted" }, t("offers.no_proposals")));
    } catch (err) {
      showError(err);
    }
  }

  async function deleteAccount() {
    if (!window.confirm(t("offers.delete_confirm"))) return;
    try {
      await api.del("/api/account");
      store.update({ auth: await api.get("/api/auth/me") });
    } catch (err) {
      showError(err);
    }
  }

  function render() {
    const owner = isOwner();
    panel.hidden = !owner;
    const user = store.get().auth?.user?.id ?? null;
    if (owner && loaded !== user) {
      loaded = user;
      panel.open = true;
      reload();
    }
    if (!owner) loaded = null;
  }

  $("#offer-find").addEventListener("submit", findAddress);
  $("#offer-file").addEventListener("change", readFile);
  $("#offer-form").addEventListener("submit", save);
  $("#offer-places").addEventListener("change", rescore);
  $("#offer-floor").addEventListener("change", rescore);
  $("#account-delete").addEventListener("click", deleteAccount);
  store.subscribe(["auth"], render);
  store.subscribe(["adhoc", "lang"], renderPlot);
  return { reload };
}
