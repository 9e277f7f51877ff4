/*
 * @module statuses
 * The province flag statuses (GET /api/flags/statuses, store key `statuses`): a site's status
 * as the viewer may see it (no flag: the default, niet_beoordeeld), its title and colour.
 */

import { pick } from "./i18n.js";

/** The status code of a site's properties (its visible flag, else the default). */
export function siteStatus(state, props) {
  return props?.flag?.status ?? state?.statuses?.default ?? "niet_beoordeeld";
}

export function statusInfo(state, code) {
  return state?.statuses?.statuses?.find((s) => s.code === code) ?? null;
}

export function statusTitle(state, code) {
  return pick(statusInfo(state, code)?.title) || code;
}

export function statusColour(state, code) {
  return statusInfo(state, code)?.colour ?? "#9ca3af";
}

/** The marker fill when the map is coloured by status (store `statusColours`), else null. */
export function statusFill(state, props) {
  if (!state?.statusColours || !state.statuses) return null;
  return statusColour(state, siteStatus(state, props));
}
