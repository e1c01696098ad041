// The signed-in user for this tab: the token (sessionStorage), what it claims, the API
// bound to it, and the company's settings once read (its zone and thresholds).

import { createApi } from "./api.js";
import { decodeClaims, isStaff, roleOf } from "./claims.js";

const TOKEN_KEY = "optclass.token";
// The page lives at {stage root}/app; the API shares that root.
const API_ROOT = location.pathname.replace(/\/app\/?$/, "");

export const state = { token: null, claims: null, company: null, view: 0 };

export const api = createApi({ root: API_ROOT, token: () => state.token });

export function setToken(token) {
  state.token = token;
  state.claims = token ? decodeClaims(token) : null;
  state.company = null;
  try {
    if (token) sessionStorage.setItem(TOKEN_KEY, token);
    else sessionStorage.removeItem(TOKEN_KEY);
  } catch (e) {
    // Storage can be off (private modes); the token then lasts until the page reloads.
  }
}

export function loadToken() {
  try {
    const token = sessionStorage.getItem(TOKEN_KEY);
    if (token) setToken(token);
  } catch (e) {
    // as above
  }
}

export function role() {
  return roleOf(state.claims);
}

export function staff() {
  return isStaff(role());
}

// The company's settings (staff may read them); null for teachers and students.
export async function company() {
  if (state.company === null && staff()) {
    state.company = await api.call("GET", "/company");
  }
  return state.company;
}

// The zone the company's own times are shown in (ledgers, notifications, held no-shows
// without a schedule's zone): its setting, else the browser's.
export async function companyZone() {
  const c = await company().catch(() => null);
  return (c && c.timezone) || Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
}
