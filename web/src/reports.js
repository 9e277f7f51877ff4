/*
 * @module reports
 * Links to what a municipality hands on (issue 12): the selected site's printable report
 * (HTML, A4) and PDF, and a shortlist of the first sites of the list as one report (PDF) and
 * as a self-contained interactive map (one HTML file that works offline). The links carry the
 * scoring (profile or own weights) and the language; the API builds the documents
 * (GET /api/sites/{id}/report, /api/shortlist/report, /api/shortlist/map).
 */

import { h, fill } from "./dom.js";
import { t } from "./i18n.js";

export const SHORTLIST_SIZE = 10;

function query(state, extra) {
  const params = new URLSearchParams();
  const { scoring, lang } = state;
  for (const [k, v] of Object.entries({ profile: scoring.profile, weights: scoring.weights, lang, ...extra })) {
    if (v !== null && v !== undefined && v !== "") params.set(k, String(v));
  }
  return params.toString();
}

export function createReports(store) {
  const element = h("section", { class: "detail-section detail-reports", id: "detail-reports" });

  function render() {
    const state = store.get();
    const id = state.selectedId;
    if (!id) return fill(element);
    const site = `/api/sites/${encodeURI(id)}/report`;
    const ids = (state.sites?.features ?? []).slice(0, SHORTLIST_SIZE).map((f) => f.id);
    const list = ids.length ? query(state, { ids: ids.join(",") }) : null;
    fill(
      element,
      h("h3", {}, t("reports.heading")),
      h(
        "p",
        { class: "report-links" },
        h("a", { id: "report-html", href: `${site}?${query(state)}`, target: "_blank", rel: "noopener" }, t("reports.html")),
        " · ",
        h("a", { id: "report-pdf", href: `${site}?${query(state, { format: "pdf" })}`, target: "_blank", rel: "noopener" }, t("reports.pdf")),
      ),
      list
        ? h(
            "p",
            { class: "report-links" },
            t("reports.shortlist", { n: ids.length }),
            " ",
            h("a", { id: "shortlist-pdf", href: `/api/shortlist/report?${list}&format=pdf`, target: "_blank", rel: "noopener" }, t("reports.pdf")),
            " · ",
            h("a", { id: "shortlist-map", href: `/api/shortlist/map?${list}`, download: "shortlist-kaart.html" }, t("reports.map")),
          )
        : null,
    );
  }

  store.subscribe(["selectedId", "scoring", "lang", "sites"], render);
  render();
  return { element };
}
