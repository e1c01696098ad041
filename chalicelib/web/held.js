// Held no-shows: marked under a `hold` policy, waiting for staff to charge or waive them
// (a charge override on the mark, with the reason the API requires).

import { el } from "./dom.js";
import { formatWhen } from "./format.js";
import { writeForm } from "./forms.js";
import { link } from "./router.js";
import { api } from "./state.js";
import { closeSheet, dialog, heading, openSheet, paged, scrollBox } from "./ui.js";

function settleDialog(h, charge, row) {
  const path = "/sessions/" + encodeURIComponent(h.session_id) + "/attendance/" + encodeURIComponent(h.student_id);
  const form = writeForm({
    id: "settle-form",
    fields: [{ name: "reason", label: "Reason", type: "text", required: true,
               value: charge ? "No-show charged under the policy" : "", hint: "Kept with the mark and its ledger entry." }],
    submitLabel: charge ? "Charge the session" : "Waive it",
    body: (v) => ({ status: "no_show", charge, reason: v.reason }),
    send: (body, key) => api.call("PUT", path, body, { key }),
    done: (mark) => {
      closeSheet();
      row.replaceWith(el("tr", { class: "settled", data: { sessionId: h.session_id, studentId: h.student_id,
                                                          settled: charge ? "charged" : "waived" } },
        el("td", { colspan: 4 }, h.student_name + ": " + (charge ? "charged" : "waived") + " · balance " + mark.balance)));
    },
  });
  openSheet(dialog((charge ? "Charge " : "Waive ") + h.student_name + "'s no-show",
                   el("p", { class: "sub" }, h.schedule_name + ", " + formatWhen(h.starts_at, h.timezone)), form));
}

export async function viewHeld(main) {
  const body = el("tbody", { id: "held" });
  const table = scrollBox(el("table", { class: "list" },
    el("thead", {}, el("tr", {}, el("th", { scope: "col" }, "Session"), el("th", { scope: "col" }, "Schedule"),
                       el("th", { scope: "col" }, "Student"), el("th", { scope: "col" }, "Settle"))), body));
  main.replaceChildren(heading("Held no-shows", "No-shows not yet charged under a hold policy: charge or waive each."),
                       table);
  await paged(body, "/attendance/held", {}, (h) => {
    const row = el("tr", { data: { sessionId: h.session_id, studentId: h.student_id } },
      el("td", {}, formatWhen(h.starts_at, h.timezone)),
      el("td", {}, el("a", { href: boardAround(h.schedule_id, h.starts_at) }, h.schedule_name)),
      el("td", {}, el("a", { href: link("student", h.student_id) }, h.student_name)));
    row.append(el("td", { class: "actions" },
      el("button", { type: "button", data: { settle: "charge" }, onclick: (e) => settleDialog(h, true, row, e) }, "Charge"),
      el("button", { type: "button", data: { settle: "waive" }, onclick: (e) => settleDialog(h, false, row, e) }, "Waive")));
    return row;
  }, "No held no-shows.", table);
}

// A board link that shows the days around one session, however old it is (a day either
// side, since the board's dates are the schedule's own and may differ from UTC's).
export function boardAround(scheduleId, startsAt) {
  const t = new Date(startsAt).getTime();
  if (isNaN(t)) return link("board", scheduleId);
  const day = (ms) => new Date(ms).toISOString().slice(0, 10);
  return link("board", scheduleId) + "?" + new URLSearchParams({ from: day(t - 864e5), to: day(t + 864e5) });
}
