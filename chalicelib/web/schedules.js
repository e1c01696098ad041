// Schedules: the list, a new schedule (recurrence and charge policy), and a schedule's own
// page: its policy, its enrollments, enrolling a student, its sessions and one-off sessions.

import { el } from "./dom.js";
import { addDays, dayIn, formatWhen, query, zonedInstant } from "./format.js";
import { invalid, writeForm } from "./forms.js";
import { link } from "./router.js";
import { api, company, staff } from "./state.js";
import { all, heading, paged, scrollBox } from "./ui.js";

const WEEKDAY_NAMES = { MO: "Mon", TU: "Tue", WE: "Wed", TH: "Thu", FR: "Fri", SA: "Sat", SU: "Sun" };

export function describeRecurrence(rec) {
  if (!rec) return "sessions as booked";
  return rec.weekdays.map((d) => WEEKDAY_NAMES[d] || d).join(", ") + " " + rec.start_time + " (" +
         rec.duration_minutes + " min) from " + rec.start_date + (rec.end_date ? " to " + rec.end_date : "");
}

export function describePolicy(p) {
  return "Student cancels: " + (p.cancelled === "credit" ? "not charged" : "charged") +
         (p.late_cancel_hours !== null && p.late_cancel_hours !== undefined
           ? " (charged when under " + p.late_cancel_hours + " h before)" : "") +
         " · No-show: " + (p.no_show === "hold" ? "held for staff" : "charged") +
         " · Overdraft: " + (p.overdraft ? p.overdraft + " sessions" : "none");
}

const POLICY_FIELDS = (p) => [
  { name: "policy.cancelled", label: "When the student cancels", type: "select", value: p ? p.cancelled : "credit",
    options: [["credit", "Not charged"], ["deduct", "Charged"]] },
  { name: "policy.late_cancel_hours", label: "Late cancellation (hours before)", type: "number",
    value: p ? p.late_cancel_hours : null, hint: "A cancellation closer to the start is charged. Empty: none.",
    attrs: { min: 0, inputmode: "numeric" } },
  { name: "policy.no_show", label: "No-show", type: "select", value: p ? p.no_show : "deduct",
    options: [["deduct", "Charged"], ["hold", "Held for staff to charge or waive"]] },
  { name: "policy.overdraft", label: "Overdraft (sessions below zero)", type: "number", value: p ? p.overdraft : 0,
    attrs: { min: 0, inputmode: "numeric" } },
];

function policyOf(v, patch) {
  const policy = { cancelled: v["policy.cancelled"], no_show: v["policy.no_show"],
                   overdraft: v["policy.overdraft"] === undefined ? 0 : v["policy.overdraft"] };
  const late = v["policy.late_cancel_hours"];
  if (late !== undefined) policy.late_cancel_hours = late;
  else if (patch) policy.late_cancel_hours = null;
  return policy;
}

function scheduleItem(s) {
  return el("li", { class: "card", data: { scheduleId: s.id } },
    el("a", { href: link("board", s.id) }, s.name),
    el("div", { class: "meta" }, (s.kind === "group" ? "Group of " + s.capacity : "1:1") + " · " +
       (s.teacher_name || "no teacher") + " · " + s.timezone),
    el("div", { class: "meta" }, describeRecurrence(s.recurrence)),
    staff() ? el("a", { class: "meta", href: link("schedule", s.id) }, "Roster, enrolments and policy") : null);
}

async function newScheduleForm() {
  const [teachers, settings] = await Promise.all([all("/staff"), company()]);
  const zone = (settings && settings.timezone) || "UTC";
  const today = dayIn(new Date().toISOString(), zone);
  return writeForm({
    id: "new-schedule",
    title: "New schedule",
    fields: [
      { name: "name", label: "Name", required: true },
      { name: "kind", label: "Kind", type: "select", options: [["group", "Group class"], ["one_to_one", "1:1"]] },
      { name: "teacher_id", label: "Teacher", type: "select", required: true,
        options: [["", "Choose a teacher"]].concat(teachers.map((t) => [t.id, t.name + " (" + t.role + ")"])) },
      { name: "capacity", label: "Capacity (group)", type: "number", value: 8, attrs: { min: 1, inputmode: "numeric" } },
      { name: "timezone", label: "Time zone", value: zone, hint: "An IANA zone, e.g. Europe/Berlin." },
      { name: "repeat", label: "Repeats every week", type: "checkbox", value: true },
      { name: "recurrence.weekdays", label: "Weekdays", type: "weekdays", value: ["MO"] },
      { name: "recurrence.start_time", label: "Starts at", type: "time", value: "17:00" },
      { name: "recurrence.duration_minutes", label: "Minutes", type: "number", value: 60,
        attrs: { min: 5, inputmode: "numeric" } },
      { name: "recurrence.start_date", label: "First day", type: "date", value: today },
      { name: "recurrence.end_date", label: "Last day (optional)", type: "date" },
      ...POLICY_FIELDS(null),
      { name: "low_balance_threshold", label: "Low-balance threshold", type: "number",
        hint: "Optional: else the company's (" + ((settings && settings.low_balance_threshold) ?? 2) + ").",
        attrs: { min: 0, inputmode: "numeric" } },
    ],
    submitLabel: "Create schedule",
    body: (v) => {
      if (!v.teacher_id) throw invalid("teacher_id", "choose a teacher");
      const body = { name: v.name, kind: v.kind, teacher_id: v.teacher_id, timezone: v.timezone, policy: policyOf(v) };
      if (v.kind === "group" || v.capacity !== undefined) body.capacity = v.capacity;
      if (v.kind === "one_to_one") body.capacity = 1;
      if (v.repeat) {
        body.recurrence = { weekdays: v["recurrence.weekdays"], start_time: v["recurrence.start_time"],
                            duration_minutes: v["recurrence.duration_minutes"], start_date: v["recurrence.start_date"] };
        if (v["recurrence.end_date"]) body.recurrence.end_date = v["recurrence.end_date"];
      }
      if (v.low_balance_threshold !== undefined) body.low_balance_threshold = v.low_balance_threshold;
      return body;
    },
    send: (body, key) => api.call("POST", "/schedules", body, { key }),
    done: (schedule) => {
      location.hash = link("schedule", schedule.id);
    },
  });
}

export async function viewSchedules(main, params, search, current) {
  const list = el("ul", { class: "cards", id: "schedules" });
  main.replaceChildren(heading("Schedules", "Open a schedule to see and mark its attendance."), list);
  await paged(list, "/schedules", {}, scheduleItem, "No schedules.");
  if (staff() && current()) {
    main.append(el("details", { class: "add", open: search.get("new") ? true : null },
                   el("summary", {}, "New schedule"), await newScheduleForm()));
  }
}

function enrollmentRow(e) {
  return el("tr", { data: { enrollmentId: e.id, studentId: e.student_id } },
    el("th", { scope: "row" }, el("a", { href: link("student", e.student_id) }, e.student_name)),
    el("td", { class: "num" }, String(e.balance)),
    el("td", {}, e.status));
}

function sessionRow(s, zone) {
  return el("tr", { data: { sessionId: s.id, status: s.status } },
    el("td", {}, el("a", { href: link("session", s.id) }, formatWhen(s.starts_at, zone))),
    el("td", {}, s.teacher_name || ""),
    el("td", {}, s.status + (s.origin && s.origin !== "recurrence" ? " · " + s.origin : "")));
}

export async function viewSchedule(main, params, search, current) {
  const id = params[0];
  const path = "/schedules/" + encodeURIComponent(id);
  let schedule = await api.call("GET", path);
  if (!current()) return;
  const zone = schedule.timezone;
  const summary = el("div", { class: "panel", id: "schedule-summary" });
  function drawSummary() {
    summary.replaceChildren(
      el("p", {}, (schedule.kind === "group" ? "Group of " + schedule.capacity : "1:1") + " · " +
         (schedule.teacher_name || "no teacher") + " · times in " + zone),
      el("p", {}, describeRecurrence(schedule.recurrence)),
      el("p", { id: "policy-text" }, describePolicy(schedule.policy)),
      el("p", {}, "Low-balance threshold: " + (schedule.low_balance_threshold ?? "the company's")));
  }
  drawSummary();
  const policy = writeForm({
    id: "policy-form",
    title: "Charge policy",
    fields: POLICY_FIELDS(schedule.policy).concat([
      { name: "low_balance_threshold", label: "Low-balance threshold", type: "number",
        value: schedule.low_balance_threshold, hint: "Empty: the company's.", attrs: { min: 0, inputmode: "numeric" } },
    ]),
    submitLabel: "Save policy",
    body: (v) => ({ policy: policyOf(v, true),
                    low_balance_threshold: v.low_balance_threshold === undefined ? null : v.low_balance_threshold }),
    send: (body, key) => api.call("PATCH", path, body, { key }),
    done: (saved) => {
      schedule = saved;
      drawSummary();
    },
  });
  const roster = el("tbody", { id: "schedule-enrollments" });
  const rosterTable = scrollBox(el("table", { class: "list" },
    el("caption", {}, "Enrolled students"),
    el("thead", {}, el("tr", {}, el("th", { scope: "col" }, "Student"), el("th", { scope: "col" }, "Balance"),
                       el("th", { scope: "col" }, "Status"))), roster));
  const today = dayIn(new Date().toISOString(), zone);
  const sessions = el("tbody", { id: "schedule-sessions" });
  const sessionsTable = scrollBox(el("table", { class: "list" },
    el("caption", {}, "Sessions, 4 weeks either side of today (open one for its roster)"),
    el("thead", {}, el("tr", {}, el("th", { scope: "col" }, "When"), el("th", { scope: "col" }, "Teacher"),
                       el("th", { scope: "col" }, "Status"))), sessions));
  const oneOff = writeForm({
    id: "one-off-form",
    title: "Add a one-off session",
    fields: [
      { name: "starts_at", label: "Starts (" + zone + ")", type: "datetime-local", required: true },
      { name: "duration_minutes", label: "Minutes", type: "number", value: 60, attrs: { min: 5, inputmode: "numeric" } },
    ],
    submitLabel: "Add session",
    body: (v) => {
      const at = zonedInstant(v.starts_at, zone);
      if (!at) throw invalid("starts_at", "give a day and a time");
      return { starts_at: at, duration_minutes: v.duration_minutes };
    },
    send: (body, key) => api.call("POST", path + "/sessions", body, { key }),
    done: (session) => {
      location.hash = link("session", session.id);
    },
  });
  main.replaceChildren(
    heading(schedule.name, "Roster, enrolments, sessions and policy",
            el("a", { href: link("board", id), class: "button" }, "Attendance board")),
    summary, el("details", { class: "add" }, el("summary", {}, "Edit the charge policy"), policy),
    el("h2", {}, "Enrolled"), rosterTable,
    el("p", { class: "sub" }, "To enrol someone, open their page from ", el("a", { href: "#/students" }, "Students"), "."),
    el("h2", {}, "Sessions"), sessionsTable,
    el("details", { class: "add" }, el("summary", {}, "Add a one-off session"), oneOff));
  await Promise.all([
    paged(roster, path + "/enrollments", { limit: 200 }, enrollmentRow, "Nobody is enrolled yet.", rosterTable),
    paged(sessions, path + "/sessions", { from: addDays(today, -28), to: addDays(today, 28), limit: 100 },
          (s) => sessionRow(s, zone), "No sessions in these weeks.", sessionsTable),
  ]);
}

