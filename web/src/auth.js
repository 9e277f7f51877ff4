/*
 * @module auth
 * Logging in and out (Dutch first): the header shows "Inloggen" or who is logged in, a modal
 * <dialog> asks for e-mail and password (or offers single sign-on when the server has it).
 * The store's `auth` is GET /api/auth/me: the user (null: not logged in) and the CSRF token
 * that api.js sends with every write. The session itself is an HttpOnly cookie.
 */

import { $, fill, h } from "./dom.js";
import { t } from "./i18n.js";
import { showError } from "./banner.js";

/** @returns {{load: () => Promise<void>}} */
export function createAuth(store, api) {
  const dialog = $("#login-dialog");
  const form = $("#login-form");
  const error = $("#login-error");

  async function load() {
    try {
      store.update({ auth: await api.get("/api/auth/me") });
    } catch (err) {
      showError(err);
    }
  }

  function roleText(grant) {
    return [t(`role.${grant.role}`), grant.scope].filter(Boolean).join(" ");
  }

  function render() {
    const auth = store.get().auth;
    const user = auth?.user ?? null;
    $("#login-open").hidden = Boolean(user);
    $("#logout").hidden = !user;
    const shown = $("#account-user");
    shown.hidden = !user;
    if (user) {
      fill(
        shown,
        h("span", { class: "account-name" }, user.name || user.email),
        h("span", { class: "account-roles" }, user.roles.map(roleText).join(", ")),
      );
    }
    const sso = auth?.sso;
    $("#login-sso").hidden = !sso?.enabled;
    if (sso?.enabled) {
      const link = $("#login-sso-link");
      link.href = sso.login_url;
      link.textContent = t("auth.sso", { name: sso.title });
    }
  }

  function open() {
    error.hidden = true;
    dialog.showModal();
    $("#login-email").focus();
  }

  async function submit(event) {
    event.preventDefault();
    const email = $("#login-email").value.trim();
    const password = $("#login-password").value;
    $("#login-submit").disabled = true;
    try {
      const me = await api.post("/api/auth/login", {}, { email, password });
      $("#login-password").value = "";
      dialog.close();
      store.update({ auth: me });
      $("#logout").focus();
    } catch (err) {
      error.textContent = err.message;
      error.hidden = false;
    } finally {
      $("#login-submit").disabled = false;
    }
  }

  async function logout() {
    try {
      await api.post("/api/auth/logout", {}, {});
    } catch (err) {
      showError(err);
    }
    await load();
    $("#login-open").focus();
  }

  $("#login-open").addEventListener("click", open);
  $("#login-cancel").addEventListener("click", () => dialog.close());
  $("#logout").addEventListener("click", logout);
  form.addEventListener("submit", submit);
  store.subscribe(["auth", "lang"], render);

  if (new URLSearchParams(window.location.search).get("sso") === "failed") {
    showError(new Error(t("auth.sso_failed")));
  }
  return { load };
}
