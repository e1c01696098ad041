// Reports people can look at: who is at risk (with each one's attendance trend), which
// teachers cancel too often (against the company's threshold), how full the classes are
// over time; each with its CSV. Charts are SVG drawn from charts.js's numbers, each with
// a text alternative.

import { barRows, columns, sparkline } from "./charts.js";
import { el, svg } from "./dom.js";
import { addDays, dayIn, percent, query, reasonsText, windows } from "./format.js";
import { link } from "./router.js";
import { api, company } from "./state.js";
import { csvButton, heading, scrollBox } from "./ui.js";

const TREND_WINDOWS = 6; // of 28 days each
const UTILIZATION_WEEKS = 8;

function sparklineSvg(values, label) {
  const g = sparkline(values, { width: 120, height: 32 });
  return svg("svg", { class: "spark", viewBox: "0 0 " + g.width + " " + g.height, width: g.width, height: g.height,
                      role: "img", "aria-label": label },
    svg("title", {}, label),
    svg("line", { x1: 0, x2: g.width, y1: g.height - 3, y2: g.height - 3, class: "axis" }),
    svg("path", { d: g.d, class: "line" }),
    g.points.map((p) => svg("circle", { cx: p.x, cy: p.y, r: 2.5, class: "dot" })));
}

function barsSvg(items, threshold, label) {
  const g = barRows(items, { width: 300, labelWidth: 110, rowHeight: 26, threshold });
  return svg("svg", { class: "bars", viewBox: "0 0 " + (g.width + 44) + " " + (g.height + 20), role: "img",
                      "aria-label": label, preserveAspectRatio: "xMinYMin meet" },
    svg("title", {}, label),
    g.rows.map((r) => svg("g", { class: r.flagged ? "flagged" : null },
      svg("text", { x: 0, y: r.y + 18, class: "label" }, r.label.length > 16 ? r.label.slice(0, 15) + "…" : r.label),
      svg("rect", { x: r.x, y: r.y + 6, width: Math.max(r.width, 1), height: 16, class: "bar" }),
      svg("text", { x: g.width + 8, y: r.y + 18, class: "value" }, percent(r.value)))),
    g.threshold === null ? null : [
      svg("line", { x1: g.threshold, x2: g.threshold, y1: 0, y2: g.height, class: "threshold" }),
      svg("text", { x: g.threshold + 4, y: g.height + 14, class: "threshold-label" },
          "threshold " + percent(threshold))]);
}

function columnsSvg(values, labels, label) {
  const g = columns(values, { width: 360, height: 150, bottom: 22 });
  return svg("svg", { class: "columns", viewBox: "0 0 " + g.width + " " + g.height, role: "img", "aria-label": label,
                      preserveAspectRatio: "xMinYMin meet" },
    svg("title", {}, label),
    svg("line", { x1: 0, x2: g.width, y1: g.baseline, y2: g.baseline, class: "axis" }),
    g.bars.map((b, i) => svg("g", {},
      svg("rect", { x: b.x, y: b.y, width: b.width, height: Math.max(b.height, 0.5), class: "bar" }),
      svg("text", { x: b.x + b.width / 2, y: Math.max(12, b.y - 4), class: "value", "text-anchor": "middle" },
          percent(b.value)),
      svg("text", { x: b.x + b.width / 2, y: g.height - 6, class: "label", "text-anchor": "middle" }, labels[i]))));
}

function report(kind, range) {
  return api.call("GET", "/reports/" + kind + query(range));
}

async function atRiskSection(range) {
  const trend = windows(range.to, TREND_WINDOWS, 28);
  const [current, ...history] = await Promise.all([report("students", range), ...trend.map((w) => report("students", w))]);
  const flagged = current.items.filter((r) => r.at_risk);
  const rows = flagged.map((r) => {
    const rates = history.map((h) => {
      const found = h.items.find((x) => x.student_id === r.student_id);
      return found ? found.attendance_rate : null;
    });
    const label = "Attendance rate of " + r.student_name + " by 28 days, oldest first: " +
                  rates.map((v, i) => trend[i].to + " " + percent(v)).join(", ");
    return el("tr", { data: { studentId: r.student_id } },
      el("th", { scope: "row" }, el("a", { href: link("student", r.student_id) }, r.student_name)),
      el("td", { class: "num" }, percent(r.attendance_rate)),
      el("td", {}, sparklineSvg(rates, label)),
      el("td", { class: "reasons", data: { reasons: r.reasons.join(" ") } }, reasonsText(r.reasons)));
  });
  return el("section", { class: "panel report", id: "at-risk", "aria-labelledby": "at-risk-title" },
    el("div", { class: "heading" }, el("h2", { id: "at-risk-title" }, "Students at risk"),
       csvButton("/reports/students" + query(Object.assign({ format: "csv" }, range)), "students")),
    el("p", { class: "sub" }, flagged.length + " of " + current.items.length + " students flagged. Trend: attendance " +
       "rate over the last " + TREND_WINDOWS + " periods of 28 days."),
    flagged.length ? scrollBox(el("table", { class: "list" },
      el("thead", {}, el("tr", {}, ["Student", "Rate", "Trend", "Why flagged"].map((h) => el("th", { scope: "col" }, h)))),
      el("tbody", {}, rows))) : el("p", { class: "empty" }, "Nobody is at risk in this range."));
}

async function teachersSection(range, settings) {
  const answer = await report("teachers", range);
  const threshold = settings ? settings.teacher_cancellation_threshold / 100 : null;
  const items = answer.items.map((t) => ({ label: t.teacher_name || t.teacher_id, value: t.cancellation_rate,
                                           flagged: t.flagged }));
  const label = "Cancellation rate per teacher against the company threshold of " + percent(threshold) + ": " +
                items.map((i) => i.label + " " + percent(i.value) + (i.flagged ? " (flagged)" : "")).join(", ");
  return el("section", { class: "panel report", id: "teachers", "aria-labelledby": "teachers-title" },
    el("div", { class: "heading" }, el("h2", { id: "teachers-title" }, "Teachers' cancellation rates"),
       csvButton("/reports/teachers" + query(Object.assign({ format: "csv" }, range)), "teachers")),
    el("p", { class: "sub" }, "Sessions the school cancelled, of those scheduled. Flagged above " + percent(threshold) +
       " (company setting)."),
    items.length ? el("div", { class: "chart" }, barsSvg(items, threshold, label))
                 : el("p", { class: "empty" }, "No teacher had sessions in this range."),
    el("ul", { class: "flagged-list" }, answer.items.filter((t) => t.flagged).map((t) =>
      el("li", { data: { teacherId: t.teacher_id } }, (t.teacher_name || t.teacher_id) + ": " +
         percent(t.cancellation_rate) + " of " + t.sessions_scheduled + " sessions cancelled"))));
}

async function utilizationSection(range) {
  const weeks = windows(range.to, UTILIZATION_WEEKS, 7);
  const [schedules, ...overviews] = await Promise.all([report("schedules", range), ...weeks.map((w) => report("overview", w))]);
  const values = overviews.map((o) => (o.items[0] ? o.items[0].group_seat_utilization : null));
  const labels = weeks.map((w) => w.to.slice(5));
  const label = "Group seat utilization per week ending " + weeks.map((w, i) => w.to + " " + percent(values[i])).join(", ");
  return el("section", { class: "panel report", id: "utilization", "aria-labelledby": "utilization-title" },
    el("div", { class: "heading" }, el("h2", { id: "utilization-title" }, "Utilization over time"),
       el("div", { class: "actions" },
          csvButton("/reports/schedules" + query(Object.assign({ format: "csv" }, range)), "schedules", "Schedules CSV"),
          csvButton("/reports/overview" + query(Object.assign({ format: "csv" }, range)), "overview", "Overview CSV"))),
    el("p", { class: "sub" }, "Seats used of seats offered in group classes, per week (weeks end on the day shown)."),
    el("div", { class: "chart" }, columnsSvg(values, labels, label)),
    scrollBox(el("table", { class: "list" },
      el("caption", {}, "Per schedule, " + range.from + " to " + range.to),
      el("thead", {}, el("tr", {}, ["Schedule", "Held", "Cancelled", "Seat use", "Used / sold"].map((h) =>
        el("th", { scope: "col" }, h)))),
      el("tbody", {}, schedules.items.map((s) => el("tr", { data: { scheduleId: s.schedule_id } },
        el("th", { scope: "row" }, s.schedule_name), el("td", { class: "num" }, String(s.sessions_held)),
        el("td", { class: "num" }, String(s.cancelled_by_school)),
        el("td", { class: "num" }, percent(s.kind === "group" ? s.seat_utilization : s.held_ratio)),
        el("td", { class: "num" }, percent(s.used_to_sold))))))));
}

export async function viewReports(main, params, search, current) {
  const settings = await company();
  const zone = (settings && settings.timezone) || "UTC";
  const today = dayIn(new Date().toISOString(), zone);
  const range = { from: search.get("from") || addDays(today, -27), to: search.get("to") || today };
  const fromInput = el("input", { type: "date", id: "report-from", value: range.from });
  const toInput = el("input", { type: "date", id: "report-to", value: range.to });
  const rangeForm = el("form", { class: "range", onsubmit: (event) => {
    event.preventDefault();
    location.hash = "#/reports" + query({ from: fromInput.value, to: toInput.value });
  } }, el("label", { for: "report-from" }, "From"), fromInput, el("label", { for: "report-to" }, "To"), toInput,
     el("button", { type: "submit" }, "Show"), el("span", { class: "sub" }, "Days in " + zone));
  main.replaceChildren(heading("Reports", "Attendance, cancellations and utilization."), rangeForm,
                       el("p", { class: "loading" }, "Loading…"));
  const sections = await Promise.all([atRiskSection(range), teachersSection(range, settings && settings.report_settings),
                                      utilizationSection(range)]);
  if (!current()) return;
  main.querySelector(".loading").replaceWith(...sections);
}
