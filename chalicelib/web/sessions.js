// A session's roster: every enrolled student with their mark, marked in bulk; and the
// school's cancellation of the whole session (nobody is charged).

import { balanceBadge } from "./board.js";
import { el } from "./dom.js";
import { MARKABLE, STATUS_LABELS, formatWhen, statusLabel } from "./format.js";
import { writeForm } from "./forms.js";
import { WriteKey } from "./api.js";
import { link } from "./router.js";
import { api, staff } from "./state.js";
import { closeSheet, dialog, heading, openSheet, scrollBox } from "./ui.js";

function rosterRow(entry, disabled) {
  const select = el("select", { name: "status", "aria-label": "Mark for " + entry.student_name,
                                disabled: disabled || entry.enrollment_status !== "active" || null,
                                data: { studentId: entry.student_id, was: entry.status } },
    el("option", { value: "", selected: entry.status === "unmarked" || null }, "not marked"),
    MARKABLE.map((s) => el("option", { value: s, selected: entry.status === s || null }, STATUS_LABELS[s])));
  return el("tr", { data: { studentId: entry.student_id, status: entry.status } },
    el("th", { scope: "row" }, staff() ? el("a", { href: link("student", entry.student_id) }, entry.student_name)
                                       : entry.student_name),
    el("td", {}, entry.balance === null ? "ended" : balanceBadge(entry.balance, entry.threshold)),
    el("td", { class: "current" }, statusLabel(entry.status, entry.held)),
    el("td", {}, select),
    el("td", { class: "outcome", "aria-live": "polite" }));
}

export async function viewSession(main, params, search, current) {
  const id = params[0];
  const path = "/sessions/" + encodeURIComponent(id);
  const roster = await api.call("GET", path + "/attendance");
  if (!current()) return;
  const session = roster.session;
  const zone = session.timezone;
  const cancelled = session.status === "cancelled";
  const started = new Date(session.starts_at).getTime() <= Date.now();
  const body = el("tbody", { id: "roster" }, roster.items.map((e) => rosterRow(e, cancelled)));
  const thresholds = new Map(roster.items.map((e) => [e.student_id, e.threshold]));
  const key = new WriteKey(); // the bulk form's: a resend of the same marks counts once
  const status = el("div", { class: "form-status", role: "status", "aria-live": "polite" });
  const save = el("button", { type: "submit", class: "primary", disabled: cancelled || null }, "Save marks");
  const allAttended = el("button", { type: "button", disabled: cancelled || null }, "Mark everyone attended");
  allAttended.addEventListener("click", () => {
    for (const select of body.querySelectorAll("select:not([disabled])")) select.value = "attended";
  });
  let inFlight = false;
  const form = el("form", { id: "roster-form", class: "panel", novalidate: true },
    scrollBox(el("table", { class: "list" },
      el("caption", {}, "Roster"),
      el("thead", {}, el("tr", {}, ["Student", "Balance", "Now", "Mark", "Result"].map((h) =>
        el("th", { scope: "col" }, h)))), body)),
    el("div", { class: "row more" }, allAttended, save, status));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (inFlight) return;
    const records = [];
    for (const select of body.querySelectorAll("select:not([disabled])")) {
      if (select.value && select.value !== select.dataset.was) {
        records.push({ student_id: select.dataset.studentId, status: select.value });
      }
    }
    status.className = "form-status";
    if (!records.length) {
      status.textContent = "Nothing changed.";
      return;
    }
    inFlight = true;
    save.disabled = true;
    try {
      const answer = await api.call("POST", path + "/attendance", { records }, { key });
      let ok = 0;
      for (const item of answer.items) {
        const row = body.querySelector("tr[data-student-id='" + CSS.escape(item.student_id) + "']");
        if (!row) continue;
        const outcome = row.querySelector(".outcome");
        if (item.ok) {
          ok += 1;
          row.dataset.status = item.mark.status;
          row.querySelector(".current").textContent = statusLabel(item.mark.status, item.mark.held);
          row.querySelector("select").dataset.was = item.mark.status;
          row.children[1].replaceChildren(balanceBadge(item.mark.balance, thresholds.get(item.student_id)));
          outcome.textContent = item.mark.charged ? "charged" : item.mark.held ? "held" : "not charged";
        } else {
          outcome.textContent = item.error.message;
          outcome.dataset.code = item.error.code;
          outcome.className = "outcome error";
        }
      }
      status.className = "form-status ok";
      status.textContent = ok + " of " + answer.items.length + " saved.";
    } catch (err) {
      status.className = "form-status error";
      status.textContent = (err.status ? err.status + " " : "") + err.code + ": " + err.message;
    } finally {
      inFlight = false;
      save.disabled = cancelled || false;
    }
  });

  const cancel = staff() && !cancelled ? el("button", { type: "button", class: "danger", id: "cancel-session" },
                                            "Cancel this session (school)") : null;
  if (cancel) {
    cancel.addEventListener("click", () => {
      const f = writeForm({
        id: "cancel-form",
        fields: [{ name: "reason", label: "Reason (optional)", hint: "Every student is marked cancelled and not charged." }],
        submitLabel: "Cancel the session",
        send: (b, k) => api.call("POST", path + "/cancel", b, { key: k }),
        done: () => {
          closeSheet();
          window.dispatchEvent(new HashChangeEvent("hashchange"));
        },
      });
      openSheet(dialog("Cancel " + formatWhen(session.starts_at, zone) + "?", f), cancel);
    });
  }
  main.replaceChildren(...[
    heading(formatWhen(session.starts_at, zone), (session.teacher_name || "no teacher") + " · " + session.status +
            (started ? "" : " · not started yet (attended and no-show can be marked once it starts)"),
            el("a", { href: link("board", session.schedule_id), class: "button" }, "Board"), cancel),
    cancelled ? el("p", { class: "notice" }, "The school cancelled this session" +
                   (session.cancel_reason ? ": " + session.cancel_reason : "") + ". Nobody was charged.") : null,
    roster.items.length ? form : el("p", { class: "empty" }, "Nobody is enrolled."),
  ].filter(Boolean));
}
