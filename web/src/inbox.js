/*
 * @module inbox
 * The inbox in the header (any logged-in user): a button with the number of unread
 * notifications (GET /api/notifications: new matches of saved searches, proposals, status
 * changes), a list that opens under it, "all read" (POST /api/notifications/read). Polled every
 * POLL_MS while logged in, and reloaded at once after the page's own changes (`reload`).
 */

import { $, fill, h } from "./dom.js";
import { t } from "./i18n.js";
import { showError } from "./banner.js";

const POLL_MS = 15000;

/** @returns {{reload: () => Promise<void>}} */
export function createInbox(store, api) {
  const button = $("#inbox-open");
  const section = $("#inbox");
  let timer = null;
  let notifications = [];

  async function reload() {
    if (!store.get().auth?.user) return;
    try {
      const inbox = await api.get("/api/notifications");
      notifications = inbox.notifications;
      $("#inbox-count").textContent = String(inbox.unread);
      button.classList.toggle("has-unread", inbox.unread > 0);
      renderList();
    } catch (err) {
      showError(err);
    }
  }

  function renderList() {
    fill(
      $("#inbox-list"),
      notifications.length
        ? notifications.map((n) =>
            h(
              "li",
              { class: `match-item notification${n.read_at ? "" : " unread"}`, dataset: { kind: n.kind } },
              h("strong", {}, n.title),
              h("p", {}, n.body),
              h("p", { class: "muted" }, new Date(n.created_at).toLocaleString()),
            ),
          )
        : h("li", { class: "muted" }, t("inbox.empty")),
    );
  }

  async function readAll() {
    try {
      await api.post("/api/notifications/read", {}, {});
      await reload();
    } catch (err) {
      showError(err);
    }
  }

  function toggle() {
    section.hidden = !section.hidden;
    button.setAttribute("aria-expanded", String(!section.hidden));
    if (!section.hidden) reload();
  }

  function render() {
    const user = store.get().auth?.user;
    button.hidden = !user;
    clearInterval(timer);
    timer = null;
    if (!user) {
      section.hidden = true;
      return;
    }
    reload();
    timer = setInterval(reload, POLL_MS);
  }

  button.addEventListener("click", toggle);
  $("#inbox-read").addEventListener("click", readAll);
  store.subscribe(["auth"], render);
  return { reload };
}
