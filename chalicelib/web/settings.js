// The company's settings (admin): name, zone, the default low-balance threshold, the
// packages' validity and warning, and the reports' rules. A save carries the version read (If-Match), so two admins cannot
// silently undo each other.

import { el } from "./dom.js";
import { writeForm } from "./forms.js";
import { api, state } from "./state.js";
import { heading } from "./ui.js";

const RULES = [
  ["min_marks", "Marks needed before a student can be flagged", 1, 100],
  ["decline_points", "Flag a drop in attendance of at least (points)", 0, 100],
  ["no_show_streak", "Flag this many no-shows in a row", 1, 100],
  ["rate_below", "Flag an attendance rate below (%)", 0, 100],
  ["teacher_cancellation_threshold", "Flag teachers who cancel more than (%)", 0, 100],
  ["teacher_min_sessions", "Sessions a teacher needs before being flagged", 1, 1000],
];

export async function viewSettings(main, params, search, current) {
  const company = await api.call("GET", "/company");
  if (!current()) return;
  let version = company.version;
  const rules = company.report_settings || {};
  const form = writeForm({
    id: "settings-form",
    title: "Company settings",
    fields: [
      { name: "name", label: "Name", value: company.name, required: true },
      { name: "timezone", label: "Time zone", value: company.timezone, hint: "An IANA zone, e.g. Europe/Berlin." },
      { name: "low_balance_threshold", label: "Low-balance threshold", type: "number",
        value: company.low_balance_threshold, hint: "Schedules and enrollments may set their own.",
        attrs: { min: 0, inputmode: "numeric" } },
      { name: "lot_valid_days", label: "Packages are valid for (days)", type: "number",
        value: company.lot_valid_days, hint: "Optional: a top-up that names no expiry gets this. Empty: no expiry.",
        attrs: { min: 1, max: 3660, inputmode: "numeric" } },
      { name: "lot_warning_days", label: "Warn this many days before unused sessions lapse", type: "number",
        value: company.lot_warning_days, hint: "Optional: 14 if empty.", attrs: { min: 1, max: 30, inputmode: "numeric" } },
    ].concat(RULES.map(([name, label, min, max]) => ({ name, label, type: "number", value: rules[name],
                                                         attrs: { min, max, inputmode: "numeric" } }))),
    submitLabel: "Save settings",
    body: (v) => {
      const body = {};
      for (const [k, value] of Object.entries(v)) if (value !== undefined) body[k] = value;
      return body;
    },
    send: (body, key) => api.call("PUT", "/company", body, { key, headers: { "If-Match": String(version) } }),
    doneText: (saved) => "Saved (version " + saved.version + ").",
    done: (saved) => {
      version = saved.version;
      state.company = saved;
    },
  });
  main.replaceChildren(heading("Settings", "Applies to the whole school."), form,
                       el("p", { class: "sub" }, "Company " + company.id));
}
