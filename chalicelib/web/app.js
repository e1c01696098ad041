// The web app: the school's day in the browser (staff, teachers) and the student portal,
// over the OptClass JSON API.
//
// Native ES modules, no build step and no framework, so it runs as served. The page holds
// no authority of its own: it keeps the pasted (or demo) token for this tab only and sends
// it with every call; what a user may see or change is decided by the API alone. All text
// from the API reaches the DOM as text nodes (never as markup).

import { ApiError } from "./api.js";
import { viewBoard } from "./board.js";
import { decodeClaims, roleOf } from "./claims.js";
import { $, el } from "./dom.js";
import { viewHeld } from "./held.js";
import { viewIntegrations } from "./integrations.js";
import { viewNotifications } from "./notifications.js";
import { viewStudent, viewStudents } from "./people.js";
import { viewPortal } from "./portal.js";
import { viewReports } from "./reports.js";
import { route } from "./router.js";
import { viewSchedule, viewSchedules } from "./schedules.js";
import { viewSession } from "./sessions.js";
import { viewSettings } from "./settings.js";
import { api, loadToken, role, setToken, staff, state } from "./state.js";
import { clearError, closeSheet, showError } from "./ui.js";

const ROUTES = [
  [/^#\/signin$/, viewSignIn],
  [/^#\/schedules$/, viewSchedules],
  [/^#\/schedule\/([^/]+)$/, viewSchedule],
  [/^#\/board\/([^/]+)$/, viewBoard],
  [/^#\/session\/([^/]+)$/, viewSession],
  [/^#\/students$/, viewStudents],
  [/^#\/student\/([^/]+)$/, viewStudent],
  [/^#\/held$/, viewHeld],
  [/^#\/reports$/, viewReports],
  [/^#\/notifications$/, viewNotifications],
  [/^#\/integrations$/, viewIntegrations],
  [/^#\/settings$/, viewSettings],
  [/^#\/me$/, viewPortal],
];

function home() {
  return role() === "student" ? "#/me" : "#/schedules";
}

function signOut(event) {
  if (event) event.preventDefault();
  setToken(null);
  clearError();
  location.hash = "#/signin";
}

function navLinks() {
  const r = role();
  if (r === "student") return [["#/me", "My sessions"]];
  if (!r) return [];
  const links = [["#/schedules", "Schedules"]];
  if (staff()) links.push(["#/students", "Students"], ["#/held", "Held no-shows"], ["#/reports", "Reports"]);
  links.push(["#/notifications", "Notifications"]);
  if (r === "admin") links.push(["#/integrations", "Integrations"], ["#/settings", "Settings"]);
  return links;
}

function renderChrome(current) {
  const path = current.split("?")[0];
  const section = { schedule: "#/schedules", board: "#/schedules", session: "#/schedules", student: "#/students" };
  const key = (path.match(/^#\/([a-z]+)/) || [])[1];
  const active = section[key] || path;
  $("#nav").replaceChildren(...navLinks().map(([href, text]) =>
    el("a", { href, "aria-current": active === href ? "page" : null }, text)));
  $("#who").textContent = state.claims ? [role() || "?", state.claims.sub || ""].filter(Boolean).join(" · ") : "";
  $("#signout").hidden = !state.token;
}

function show() {
  closeSheet();
  clearError();
  const view = ++state.view;
  const hash = location.hash || "";
  if (!state.token && hash !== "#/signin") {
    location.replace("#/signin");
    return;
  }
  const found = route(ROUTES, hash);
  if (!found) {
    location.replace(state.token ? home() : "#/signin");
    return;
  }
  renderChrome(hash);
  const main = $("#main");
  main.replaceChildren(el("p", { class: "loading" }, "Loading…"));
  main.setAttribute("aria-busy", "true");
  // A view drawn after the user moved on must not overwrite the newer one.
  const current = () => view === state.view;
  Promise.resolve()
    .then(() => found.view(main, found.params, found.search, current))
    .catch((err) => {
      if (!current()) return;
      main.replaceChildren();
      showError(err, signOut);
    })
    .finally(() => {
      if (current()) {
        main.setAttribute("aria-busy", "false");
        const h1 = main.querySelector("h1");
        document.title = (h1 ? h1.textContent + " · " : "") + "OptClass";
      }
    });
}

async function viewSignIn(main, params, search, current) {
  const input = el("textarea", { id: "token-input", name: "token", autocomplete: "off", spellcheck: "false",
                                 placeholder: "eyJhbGciOi…", required: true });
  const form = el("form", { class: "panel", id: "signin-form", onsubmit: (event) => {
    event.preventDefault();
    signIn(input.value.trim());
  } },
    el("h1", {}, "Sign in"),
    el("p", { class: "sub" }, "Paste the bearer token (JWT) your school gave you."),
    el("label", { for: "token-input" }, "Token"),
    input,
    el("div", { class: "row more" }, el("button", { type: "submit", class: "primary" }, "Sign in")));
  const demo = el("section", { class: "panel", id: "demo-users", hidden: true, "aria-labelledby": "demo-title" });
  main.replaceChildren(form, demo);
  let answer;
  try {
    answer = await api.call("GET", "/local/demo-tokens");
  } catch (e) {
    return; // not the local stage: no demo users, and that is no error
  }
  if (!current() || !answer || typeof answer.tokens !== "object") return;
  const labels = { admin: "Admin", staff: "Staff", teacher: "Teacher", student: "Student" };
  demo.append(el("h2", { id: "demo-title" }, "Demo users"),
              el("p", { class: "sub" }, "The local stage's demo school (" + String(answer.company_id) + ")."),
              el("div", { class: "row" }, Object.keys(answer.tokens).map((r) =>
                el("button", { type: "button", data: { demo: r }, onclick: () => signIn(answer.tokens[r]) },
                   "Sign in as " + (labels[r] || r)))));
  demo.hidden = false;
}

function signIn(token) {
  clearError();
  const claims = decodeClaims(token);
  if (!claims || !roleOf(claims)) {
    showError(new ApiError(0, "invalid_token",
                           "That is not a token this app can read (a JWT has three dot-separated parts)."));
    return;
  }
  setToken(token);
  location.hash = home();
}

document.addEventListener("keydown", (event) => {
  if (event.key === "Escape" && !$("#sheet").hidden) closeSheet();
});
$("#sheet").addEventListener("click", (event) => {
  if (event.target.id === "sheet") closeSheet(); // a tap outside the dialog
});
$("#signout").addEventListener("click", signOut);
window.addEventListener("hashchange", show);
loadToken();
show();
