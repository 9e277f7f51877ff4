/*
 * @module weights
 * Scoring profiles and live weights: the profile <select>, one slider per scoring criterion
 * (constraints only exclude and get none), "custom weights" and the reset.
 *
 * Store keys: `profiles` (GET /api/profiles), `profile` (the chosen name), `weights` (the
 * sliders, live while dragging) and `scoring`: the {profile, weights} query parameters every
 * scoring request uses. `scoring` is committed a moment after the last slider move (or at once
 * on a profile change), and everything that re-ranks listens to it.
 */

import { $, debounce, fill, h } from "./dom.js";
import { number, percent } from "./format.js";
import { pick, t } from "./i18n.js";
import { showError } from "./banner.js";

const COMMIT_DEBOUNCE_MS = 150; // while dragging a weight slider
const WEIGHT_EPSILON = 1e-6;
const OPEN_KEY = "sitefinder.weightsOpen"; // the user folded the sliders away: remember

/** The profile object of the chosen (or named) profile, or null. */
export function profileOf(state, name = state.profile) {
  return state.profiles?.profiles?.find((p) => p.name === name) ?? null;
}

/** The criteria that get a slider; constraints (Natura 2000, …) only exclude. */
function scoringCriteria(state) {
  return (state.profiles?.criteria ?? []).filter((c) => !c.constraint);
}

/** The title of a criterion from /api/profiles, or null when unknown. */
export function criterionTitle(state, name) {
  return pick(state.profiles?.criteria?.find((c) => c.name === name)?.title) || null;
}

/** Do two weight sets agree on every scoring criterion? (An absent set agrees with anything.) */
export function sameWeights(state, a, b) {
  if (!a || !b) return true;
  return scoringCriteria(state).every((c) => Math.abs((a[c.name] ?? 0) - (b[c.name] ?? 0)) <= WEIGHT_EPSILON);
}

/** Have the sliders been moved away from the chosen profile's weights? */
export function weightsAreCustom(state) {
  const profile = profileOf(state);
  return Boolean(profile) && !sameWeights(state, state.weights, profileWeights(state, profile));
}

function profileWeights(state, profile) {
  return Object.fromEntries(scoringCriteria(state).map((c) => [c.name, profile?.weights?.[c.name] ?? 0]));
}

function weightTotal(state) {
  return scoringCriteria(state).reduce((sum, c) => sum + (state.weights[c.name] ?? 0), 0);
}

/** "transit:0.5,care_distance:0.3,…": only when the sliders differ from the profile (and not all 0). */
function weightsParam(state) {
  if (!weightsAreCustom(state) || weightTotal(state) <= 0) return "";
  return scoringCriteria(state)
    .map((c) => `${c.name}:${Number((state.weights[c.name] ?? 0).toFixed(4))}`)
    .join(",");
}

/** The profile panel; `load()` fetches the profiles and chooses the default one. */
export function createWeights(store, api) {
  const commitSoon = debounce(commit, COMMIT_DEBOUNCE_MS);

  /** Hand the current profile and weights to everything that scores (if they changed). */
  function commit() {
    commitSoon.cancel();
    const state = store.get();
    const scoring = { profile: state.profile, weights: weightsParam(state) };
    if (scoring.profile === state.scoring.profile && scoring.weights === state.scoring.weights) return;
    store.update({ scoring });
  }

  function applyProfile(name) {
    store.update((state) => ({ profile: name, weights: profileWeights(state, profileOf(state, name)) }));
    commit();
  }

  async function load() {
    try {
      const profiles = await api.get("/api/profiles");
      const names = (profiles.profiles ?? []).map((p) => p.name);
      store.update({ profiles });
      applyProfile(names.includes(profiles.default) ? profiles.default : names[0] ?? null);
    } catch (err) {
      store.update({ profilesFailed: true }); // the API's default profile still ranks the list
      showError(err);
    }
  }

  function renderPanel() {
    const state = store.get();
    renderOptions(state);
    fill($("#weights"), ...scoringCriteria(state).map((c) => weightRow(state, c)));
    const constraints = (state.profiles?.criteria ?? [])
      .filter((c) => c.constraint)
      .map((c) => pick(c.title) || c.name);
    $("#weights-constraints").textContent = constraints.length
      ? t("weights.constraints", { list: constraints.join(" · ") })
      : "";
    renderWeightState();
  }

  function renderOptions(state) {
    const select = $("#profile-select");
    const profiles = state.profiles?.profiles ?? [];
    const options = profiles.length
      ? profiles.map((p) => h("option", { value: p.name }, pick(p.title) || p.name))
      : [h("option", { value: "" }, state.profilesFailed ? t("profile.unavailable") : t("status.loading"))];
    fill(select, ...options);
    select.value = state.profile ?? "";
    select.disabled = !profiles.length;
    $("#profile-description").textContent = pick(profileOf(state)?.description);
  }

  function weightRow(state, criterion) {
    const id = `weight-${criterion.name}`;
    return h(
      "div",
      { class: "weight-row", dataset: { criterion: criterion.name } },
      h("label", { for: id, class: "weight-label" }, pick(criterion.title) || criterion.name),
      h("input", {
        type: "range",
        id,
        class: "weight-slider",
        min: "0",
        max: "1",
        step: "0.05",
        value: String(state.weights[criterion.name] ?? 0),
        dataset: { criterion: criterion.name },
        oninput: onSliderInput,
      }),
      h("output", { class: "weight-value", for: id }),
      h("span", { class: "weight-share", title: t("weights.share_title") }),
    );
  }

  /** Values, shares after normalisation, and the "custom weights" state; sliders stay in place. */
  function renderWeightState() {
    const state = store.get();
    const total = weightTotal(state);
    for (const row of document.querySelectorAll("#weights .weight-row")) {
      const weight = state.weights[row.dataset.criterion] ?? 0;
      const share = total > 0 ? percent(weight / total) : "–";
      const slider = row.querySelector(".weight-slider");
      if (Number(slider.value) !== weight) slider.value = String(weight);
      slider.setAttribute("aria-valuetext", t("weights.valuetext", { value: number(weight, 2), share }));
      row.querySelector(".weight-value").textContent = number(weight, 2);
      row.querySelector(".weight-share").textContent = share;
      row.classList.toggle("is-zero", weight <= 0);
    }
    const custom = weightsAreCustom(state);
    $("#weights-custom").hidden = !custom;
    $("#weights-reset").hidden = !custom;
    $("#weights-note").hidden = !(custom && total <= 0);
    $("#profile-panel").classList.toggle("is-custom", custom);
  }

  function onSliderInput(event) {
    const slider = event.currentTarget;
    store.update((state) => ({ weights: { ...state.weights, [slider.dataset.criterion]: Number(slider.value) } }));
    commitSoon();
  }

  /** The sliders start unfolded, unless the user folded them away last time. */
  function wirePanelMemory() {
    const panel = $("#weights-panel");
    try {
      if (window.localStorage.getItem(OPEN_KEY) === "false") panel.open = false;
    } catch {
      /* storage blocked: keep the default */
    }
    panel.addEventListener("toggle", () => {
      try {
        window.localStorage.setItem(OPEN_KEY, String(panel.open));
      } catch {
        /* not remembered; harmless */
      }
    });
  }

  wirePanelMemory();
  $("#profile-select").addEventListener("change", (event) => applyProfile(event.target.value));
  $("#weights-reset").addEventListener("click", () => {
    applyProfile(store.get().profile);
    $("#profile-select").focus(); // the reset button has just been hidden
  });
  store.subscribe(["profiles", "profilesFailed", "profile", "lang"], renderPanel);
  store.subscribe(["weights"], renderWeightState);
  renderPanel(); // "loading…" until /api/profiles answers

  return { load };
}
