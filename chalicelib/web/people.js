// Students: the list with its search, adding one, and a student's page (enrollments with
// balances, top-ups and adjustments, each enrollment's ledger, their sessions).

import { balanceBadge } from "./board.js";
import { el } from "./dom.js";
import { addDays, dayIn, formatWhen, lotText, plural, query, statusLabel } from "./format.js";
import { invalid, writeForm } from "./forms.js";
import { link } from "./router.js";
import { api, companyZone } from "./state.js";
import { all, csvButton, heading, paged, scrollBox } from "./ui.js";

function studentItem(s) {
  return el("li", { class: "card", data: { studentId: s.id } },
    el("a", { href: link("student", s.id) }, s.name),
    el("div", { class: "meta" }, s.email + (s.user_id ? " · has a portal login" : "")));
}

export async function viewStudents(main, params, search) {
  const q = search.get("q") || "";
  const list = el("ul", { class: "cards", id: "students" });
  const box = el("input", { type: "search", id: "student-search", name: "q", value: q, autocomplete: "off",
                            placeholder: "Name, surname or email" });
  const find = el("form", { class: "range", role: "search", onsubmit: (event) => {
    event.preventDefault();
    location.hash = "#/students" + (box.value.trim() ? "?" + new URLSearchParams({ q: box.value.trim() }) : "");
  } }, el("label", { for: "student-search" }, "Find a student"), box, el("button", { type: "submit" }, "Search"),
     q ? el("a", { href: "#/students" }, "Show all") : null);
  const add = writeForm({
    id: "add-student",
    title: "Add a student",
    fields: [
      { name: "name", label: "Name", required: true },
      { name: "email", label: "Email", type: "email", required: true },
      { name: "user_id", label: "Portal login (user id)", hint: "Optional: the login that opens their portal." },
    ],
    submitLabel: "Add student",
    send: (body, key) => api.call("POST", "/students", body, { key }),
    done: (student) => {
      location.hash = link("student", student.id);
    },
  });
  main.replaceChildren(heading("Students", q ? "Students whose name, surname or email starts with “" + q + "”."
                                            : "Every student of the school."),
                       find, list, el("details", { class: "add", open: search.get("add") ? true : null },
                                      el("summary", {}, "Add a student"), add));
  await paged(list, "/students", q ? { q, limit: 50 } : { limit: 50 }, studentItem,
              q ? "Nobody found. Try the start of the first name, the surname, or the whole email." : "No students yet.");
}

function ledgerRow(entry, zone) {
  return el("tr", { data: { seq: entry.seq, kind: entry.kind } },
    el("td", {}, formatWhen(entry.at, zone)),
    el("td", {}, entry.kind.replace("_", " ")),
    el("td", { class: "num" }, (entry.delta > 0 ? "+" : "") + entry.delta),
    el("td", { class: "num" }, String(entry.balance_after)),
    el("td", {}, entry.note || entry.reference || ""),
    el("td", { class: "meta" }, entry.actor));
}

async function ledgerTable(enrollment, zone) {
  const body = el("tbody", { class: "ledger-rows" });
  const table = scrollBox(el("table", { class: "list ledger", data: { enrollmentId: enrollment.id } },
    el("caption", {}, "Ledger of " + enrollment.schedule_name + ", oldest first"),
    el("thead", {}, el("tr", {}, ["When", "What", "Change", "Balance", "Note", "By"].map((h) =>
      el("th", { scope: "col" }, h)))), body));
  const holder = el("div", { class: "ledger-holder" }, table);
  await paged(body, "/enrollments/" + encodeURIComponent(enrollment.id) + "/ledger", { limit: 200 },
              (e) => ledgerRow(e, zone), "No entries.", table);
  return holder;
}

// An enrollment's packages, soonest to expire first (the order they are used in).
export function lotsList(e) {
  if (!e.lots || !e.lots.length) return el("p", { class: "empty" }, "No packages yet.");
  return el("ul", { class: "lots", data: { enrollmentId: e.id } },
    e.lots.map((lot) => el("li", { class: "lot " + lot.state, data: { lotId: lot.id, remaining: lot.remaining } },
      el("strong", {}, lot.id), " " + lotText(lot, lot.timezone || "UTC") + (lot.note ? " · " + lot.note : ""))),
    e.owed ? el("li", { class: "lot owed" }, plural(e.owed, "session", "sessions") + " owed: paid from the next package") : null);
}

function statementLine(line, zone) {
  return el("tr", { data: { seq: line.seq, kind: line.kind } },
    el("td", {}, formatWhen(line.at, zone)),
    el("td", {}, line.kind.replace("_", " ")),
    el("td", { class: "num" }, (line.delta > 0 ? "+" : "") + line.delta),
    el("td", {}, line.note || line.reference || ""));
}

// The statement as of a day: every package with what was used from it and when.
export async function statementView(path, e) {
  const day = el("input", { type: "date", name: "as_of", id: "as-of-" + e.id });
  const spot = el("div", { class: "statement-body" });
  async function draw() {
    const s = await api.call("GET", path + "/statement" + query({ as_of: day.value || null }));
    spot.replaceChildren(
      el("p", {}, (s.as_of ? "As of " + s.as_of : "Today") + ": balance " + s.balance + (s.owed ? ", " + s.owed + " owed" : "")),
      ...s.lots.map((lot) => el("div", { class: "statement-lot", data: { lotId: lot.id } },
        el("h4", {}, lot.id + ": " + plural(lot.sessions, "session", "sessions") + " (" + lot.source.replace("_", " ") + ")"),
        el("p", { class: "meta" }, "used " + lot.used + " · given back " + lot.given_back + " · expired " + lot.expired +
           " · left " + lot.remaining),
        scrollBox(el("table", { class: "list" },
          el("caption", {}, "Entries of " + lot.id),
          el("thead", {}, el("tr", {}, ["When", "What", "Change", "For"].map((h) => el("th", { scope: "col" }, h)))),
          el("tbody", {}, lot.lines.map((line) => statementLine(line, s.timezone))))))));
  }
  const form = el("form", { class: "range", onsubmit: async (event) => { event.preventDefault(); await draw(); } },
    el("label", { for: "as-of-" + e.id }, "As of"), day, el("button", { type: "submit" }, "Show"));
  await draw();
  return el("div", { class: "statement", data: { enrollmentId: e.id } }, form, spot,
            csvButton(path + "/statement?format=csv", "statement-" + e.id, "Statement as CSV"));
}

export function toggle(label, build) {
  const spot = el("div", {});
  const button = el("button", { type: "button", "aria-expanded": "false" }, "Show " + label);
  button.addEventListener("click", async () => {
    if (button.getAttribute("aria-expanded") === "true") {
      spot.replaceChildren();
      button.setAttribute("aria-expanded", "false");
      button.textContent = "Show " + label;
      return;
    }
    button.disabled = true;
    try {
      spot.replaceChildren(await build());
      button.setAttribute("aria-expanded", "true");
      button.textContent = "Hide " + label;
    } finally {
      button.disabled = false;
    }
  });
  return [button, spot];
}

function enrollmentPanel(e, zone, reload) {
  const balance = el("div", { class: "balance" }, balanceBadge(e.balance, e.threshold),
    el("span", {}, " " + plural(e.balance, "session", "sessions") + " left · low at " + e.threshold + " or fewer"));
  const path = "/enrollments/" + encodeURIComponent(e.id);
  const topUp = writeForm({
    id: "top-up-" + e.id,
    title: "Top up",
    fields: [
      { name: "sessions", label: "Sessions", type: "number", required: true, attrs: { min: 1, inputmode: "numeric" } },
      { name: "expires_at", label: "Usable until", type: "date",
        hint: "Optional: the last day of the package. Empty: the school's default validity, if any." },
      { name: "note", label: "Note", hint: "Optional, e.g. the invoice it was paid with." },
    ],
    submitLabel: "Add sessions",
    send: (body, key) => api.call("POST", path + "/top-ups", body, { key }),
    doneText: (answer) => "Balance now " + answer.balance + ".",
    done: () => reload(),
  });
  topUp.dataset.form = "top-up";
  const adjust = writeForm({
    id: "adjust-" + e.id,
    title: "Adjust",
    intro: "Correct the balance up or down; the reason is kept in the ledger.",
    fields: [
      { name: "delta", label: "Change (+ or −)", type: "number", required: true, attrs: { inputmode: "numeric" } },
      { name: "reason", label: "Reason", required: true },
    ],
    submitLabel: "Adjust balance",
    body: (v) => {
      if (v.delta === undefined || Number.isNaN(v.delta)) throw invalid("delta", "give a whole number, e.g. -1 or 2");
      return { delta: v.delta, reason: v.reason };
    },
    send: (body, key) => api.call("POST", path + "/adjustments", body, { key }),
    doneText: (answer) => "Balance now " + answer.balance + ".",
    done: () => reload(),
  });
  adjust.dataset.form = "adjust";
  const ledgerSpot = el("div", { class: "ledger-spot" });
  const show = el("button", { type: "button", class: "ledger-toggle", "aria-expanded": "false" }, "Show ledger");
  show.addEventListener("click", async () => {
    if (show.getAttribute("aria-expanded") === "true") {
      ledgerSpot.replaceChildren();
      show.setAttribute("aria-expanded", "false");
      show.textContent = "Show ledger";
      return;
    }
    show.disabled = true;
    try {
      ledgerSpot.replaceChildren(await ledgerTable(e, zone));
      show.setAttribute("aria-expanded", "true");
      show.textContent = "Hide ledger";
    } finally {
      show.disabled = false;
    }
  });
  return el("section", { class: "panel enrollment", data: { enrollmentId: e.id, balance: e.balance },
                         "aria-labelledby": "enr-" + e.id },
    el("h2", { id: "enr-" + e.id }, el("a", { href: link("board", e.schedule_id) }, e.schedule_name),
       e.status !== "active" ? el("span", { class: "sub" }, " · " + e.status) : null),
    balance,
    el("div", { class: "forms" }, topUp, adjust),
    el("h3", {}, "Packages"), lotsList(e),
    show, ledgerSpot, ...toggle("statement", () => statementView(path, e)));
}

function enrolForm(student, schedules, staffList, done) {
  // Anyone on the staff may be told; admins and staff first, as they usually are.
  const active = staffList.filter((s) => s.role !== "teacher").concat(staffList.filter((s) => s.role === "teacher"));
  return writeForm({
    id: "enrol-form",
    title: "Enrol in a schedule",
    fields: [
      { name: "schedule_id", label: "Schedule", type: "select", required: true,
        options: [["", "Choose a schedule"]].concat(schedules.map((s) => [s.id, s.name])) },
      { name: "initial_balance", label: "Opening balance (sessions)", type: "number", required: true,
        attrs: { min: 0, inputmode: "numeric" } },
      { name: "responsible_staff_id", label: "Responsible staff member", type: "select", required: true,
        options: [["", "Choose who is told when it runs low"]].concat(active.map((s) => [s.id, s.name + " (" + s.role + ")"])) },
      { name: "low_balance_threshold", label: "Low-balance threshold", type: "number",
        hint: "Optional: else the schedule's, else the company's.", attrs: { min: 0, inputmode: "numeric" } },
    ],
    submitLabel: "Enrol",
    body: (v) => {
      if (!v.schedule_id) throw invalid("schedule_id", "choose a schedule");
      const body = { schedule_id: v.schedule_id, student_id: student.id, initial_balance: v.initial_balance,
                     responsible_staff_id: v.responsible_staff_id };
      if (v.low_balance_threshold !== undefined) body.low_balance_threshold = v.low_balance_threshold;
      return body;
    },
    send: ({ schedule_id: scheduleId, ...body }, key) =>
      api.call("POST", "/schedules/" + encodeURIComponent(scheduleId) + "/enrollments", body, { key }),
    done,
  });
}

function timelineItem(s) {
  return el("li", { data: { sessionId: s.session_id, status: s.status } },
    el("div", {}, el("strong", {}, formatWhen(s.starts_at, s.timezone)),
       el("div", { class: "meta" }, s.schedule_name + (s.teacher_name ? " · " + s.teacher_name : ""))),
    el("span", { class: "status " + s.status }, s.status === "unmarked" ? "" : statusLabel(s.status)));
}

export async function viewStudent(main, params, search, current) {
  const id = params[0];
  const [student, zone] = await Promise.all([api.call("GET", "/students/" + encodeURIComponent(id)), companyZone()]);
  if (!current()) return;
  const enrollmentsBox = el("div", { id: "student-enrollments" });
  const timeline = el("ul", { class: "sessions", id: "student-sessions" });
  const enrolSpot = el("div", { class: "enrol-spot" });

  async function drawEnrollments() {
    const page = await api.call("GET", "/students/" + encodeURIComponent(id) + "/enrollments?limit=200");
    if (!current()) return;
    enrollmentsBox.replaceChildren(...(page.items.length ? page.items.map((e) => enrollmentPanel(e, zone, drawEnrollments))
                                                          : [el("p", { class: "empty" }, "Not enrolled in anything yet.")]));
  }

  main.replaceChildren(
    heading(student.name, student.email + (student.user_id ? " · portal login " + student.user_id : "") +
            " · times in " + zone),
    el("h2", {}, "Enrollments"), enrollmentsBox, enrolSpot,
    el("h2", {}, "Sessions"), el("p", { class: "sub" }, "4 weeks either side of today, across every schedule."), timeline);
  const [schedules, staffList] = await Promise.all([all("/schedules"), all("/staff"), drawEnrollments()]);
  if (!current()) return;
  enrolSpot.replaceChildren(el("details", { class: "add" }, el("summary", {}, "Enrol in a schedule"),
    enrolForm(student, schedules, staffList, () => drawEnrollments())));
  const today = dayIn(new Date().toISOString(), zone);
  const board = await api.call("GET", "/students/" + encodeURIComponent(id) + "/board" +
                               query({ from: addDays(today, -28), to: addDays(today, 28), limit: 100 }));
  if (!current()) return;
  if (!board.items.length) timeline.replaceWith(el("p", { class: "empty" }, "No sessions in these weeks."));
  for (const s of board.items) timeline.append(timelineItem(s));
}
