// The student portal: what is left of each enrollment, and their sessions, each in its
// schedule's zone.

import { el } from "./dom.js";
import { balanceClass, formatWhen, lastUsableDay, lotText, plural, statusLabel } from "./format.js";
import { statementView, toggle } from "./people.js";
import { api } from "./state.js";
import { paged } from "./ui.js";

export function sessionItem(s) {
  let label = s.status === "unmarked" ? "" : statusLabel(s.status);
  if (s.session_status === "cancelled" && s.status === "cancelled") label = "Cancelled by the school";
  return el("li", { data: { sessionId: s.session_id, status: s.status } },
    el("div", {}, el("strong", {}, formatWhen(s.starts_at, s.timezone)),
       el("div", { class: "meta" }, s.schedule_name + (s.teacher_name ? " · " + s.teacher_name : ""))),
    el("span", { class: "status " + s.status }, label));
}

// Packages whose lapse the school announced: what will lapse unused, and when.
function expiringNotes(e) {
  return (e.lots || []).filter((lot) => lot.state === "active" && lot.warned_at && lot.expires_at)
    .map((lot) => el("p", { class: "notice expiring", data: { lotId: lot.id } },
      plural(lot.remaining, "session", "sessions") + " of package " + lot.id + " will lapse unused after " +
      lastUsableDay(lot.expires_at, lot.timezone || "UTC") + ": book them before then."));
}

export function enrollmentCard(e, remaining) {
  return el("li", { class: ["card", balanceClass(remaining, e.threshold)].join(" ").trim(), data: { enrollmentId: e.id } },
    el("div", {}, el("strong", {}, e.schedule_name)),
    el("div", { class: "big", data: { remaining } }, String(remaining)),
    el("div", { class: "meta" }, remaining === 1 ? "session left" : "sessions left",
       e.status !== "active" ? " · " + e.status : "",
       remaining > 0 && remaining <= e.threshold ? " · running low" : ""),
    ...expiringNotes(e),
    e.lots && e.lots.length ? el("ul", { class: "lots" }, e.lots.map((lot) =>
      el("li", { class: "lot " + lot.state, data: { lotId: lot.id } }, lotText(lot, lot.timezone || "UTC")))) : null,
    ...toggle("statement", () => statementView("/me/enrollments/" + encodeURIComponent(e.id), e)));
}

export async function viewPortal(main, params, search, current) {
  const [me, enrollments] = await Promise.all([api.call("GET", "/me"), api.call("GET", "/me/enrollments?limit=200")]);
  if (!current()) return;
  const cards = el("ul", { class: "cards", id: "enrollments" },
                   enrollments.items.map((e) => enrollmentCard(e, e.remaining_sessions)));
  const upcoming = el("ul", { class: "sessions", id: "upcoming" });
  const past = el("ul", { class: "sessions", id: "past" });
  main.replaceChildren(
    el("h1", {}, "Hello, " + me.name),
    el("p", { class: "sub" }, "Your remaining sessions and your attendance. Times are in each class's own zone."),
    el("h2", {}, "Remaining sessions"),
    enrollments.items.length ? cards : el("p", { class: "empty" }, "You are not enrolled in anything yet."),
    el("h2", {}, "Upcoming"), upcoming,
    el("h2", {}, "Past"), past);
  await Promise.all([
    paged(upcoming, "/me/sessions", { when: "upcoming", limit: 20 }, sessionItem, "No upcoming sessions."),
    paged(past, "/me/sessions", { when: "past", limit: 20 }, sessionItem, "No past sessions."),
  ]);
}
