// A schedule's attendance board: students down, sessions across, a cell per mark; a tap
// on a cell opens the picker (a sheet that fits a phone).

import { el } from "./dom.js";
import { MARKABLE, STATUS_LABELS, balanceClass, formatDate, formatTime, query, statusLabel, statusText, zoneName }
  from "./format.js";
import { link } from "./router.js";
import { api, staff } from "./state.js";
import { closeSheet, openSheet, showError } from "./ui.js";

export function balanceBadge(balance, threshold) {
  return el("span", { class: ["badge", balanceClass(balance, threshold)].join(" ").trim(),
                      data: { balance, threshold: threshold ?? "" },
                      title: threshold === null || threshold === undefined ? null : "low at " + threshold + " or fewer" },
            String(balance));
}

export function legend(zone, sample) {
  return el("div", { class: "legend" },
    el("span", { class: "badge low" }, "low"), "at or below the enrollment's threshold",
    el("span", { class: "badge exhausted" }, "≤ 0"), "exhausted",
    zone ? el("span", { class: "zone" }, "Times in " + zone + " (" + zoneName(sample, zone) + ")") : null);
}

export async function viewBoard(main, params, search, current) {
  const scheduleId = params[0];
  const range = { from: search.get("from") || "", to: search.get("to") || "" };
  const base = "/schedules/" + encodeURIComponent(scheduleId) + "/board";
  let board = await api.call("GET", base + query(range));
  if (!current()) return;
  const sessions = board.items.slice();
  const students = board.students.slice();

  const fromInput = el("input", { type: "date", name: "from", id: "board-from", value: range.from });
  const toInput = el("input", { type: "date", name: "to", id: "board-to", value: range.to });
  const rangeForm = el("form", { class: "range", onsubmit: (event) => {
    event.preventDefault();
    location.hash = link("board", scheduleId) + query({ from: fromInput.value, to: toInput.value });
  } },
    el("label", { for: "board-from" }, "From"), fromInput, el("label", { for: "board-to" }, "To"), toInput,
    el("button", { type: "submit" }, "Show"),
    el("span", { class: "sub" }, range.from || range.to ? "" : "4 weeks either side of today"));

  const wrap = el("div", { class: "board-wrap", tabindex: "0", role: "region", "aria-label": "Attendance board" });
  const more = el("button", { type: "button", class: "more", hidden: !board.next }, "More sessions");
  more.addEventListener("click", async () => {
    more.disabled = true;
    try {
      const page = await api.call("GET", base + query(Object.assign({}, range, { next: board.next })));
      board = page;
      sessions.push(...page.items);
      for (const s of page.students) if (!students.some((x) => x.student_id === s.student_id)) students.push(s);
      drawTable();
      more.hidden = !page.next;
    } catch (err) {
      showError(err);
    } finally {
      more.disabled = false;
    }
  });

  const zone = board.timezone;
  main.replaceChildren(
    el("div", { class: "heading" },
       el("div", {}, el("h1", { id: "board-title" }, board.schedule_name),
          el("p", { class: "sub" }, (board.kind === "group" ? "Group" : "1:1") + " · times in " + zone)),
       staff() ? el("div", { class: "actions" },
                    el("a", { href: link("schedule", scheduleId), class: "button" }, "Schedule, roster and enrolments"))
               : null),
    rangeForm, legend(zone, sessions.length ? sessions[0].starts_at : new Date().toISOString()), wrap, more);

  function drawTable() {
    if (!sessions.length) {
      wrap.replaceChildren(el("p", { class: "empty" }, "No sessions in this range."));
      return;
    }
    const now = Date.now();
    const head = el("tr", {}, el("th", { class: "student", scope: "col" }, "Student · balance"),
      sessions.map((s) => el("th", { scope: "col", data: { sessionId: s.session_id },
                                     class: [s.status === "cancelled" ? "cancelled" : "",
                                             new Date(s.starts_at).getTime() > now ? "upcoming" : ""]
                                       .join(" ").trim() || null },
        el("a", { href: link("session", s.session_id), class: "session-link" }, formatDate(s.starts_at, zone)),
        el("span", { class: "t" }, formatTime(s.starts_at, zone) + "–" + formatTime(s.ends_at, zone)),
        el("span", { class: "t" }, s.teacher_name || ""),
        s.status === "cancelled" ? el("span", { class: "t" }, "cancelled") : null)));
    const rows = students.map((st) => {
      const enrolled = st.balance !== null && st.balance !== undefined; // null: no longer enrolled
      return el("tr", { class: (enrolled && balanceClass(st.balance, st.threshold)) || null,
                        data: { studentId: st.student_id } },
        el("th", { class: "student", scope: "row" },
           staff() ? el("a", { class: "name", href: link("student", st.student_id) }, st.student_name)
                   : el("span", { class: "name" }, st.student_name),
           enrolled ? balanceBadge(st.balance, st.threshold) : null,
           st.status !== "active" ? el("span", { class: "sub" }, " " + st.status) : null),
        sessions.map((s) => {
          const cell = s.attendance.find((a) => a.student_id === st.student_id);
          if (!cell) return el("td", { class: "none" });
          const button = el("button", { type: "button", class: "cell " + cell.status, disabled: s.status === "cancelled",
                                        data: { sessionId: s.session_id, studentId: st.student_id, status: cell.status },
                                        "aria-label": st.student_name + ", " + formatDate(s.starts_at, zone) + " " +
                                          formatTime(s.starts_at, zone) + ": " + statusText(cell.status, cell.held) },
                            statusLabel(cell.status, cell.held));
          button.addEventListener("click", () => openPicker(st, s, cell, button, (mark) => {
            cell.status = mark.status;
            cell.held = mark.held;
            cell.charged = mark.charged;
            st.balance = mark.balance;
            drawTable();
            const again = wrap.querySelector("button.cell[data-session-id=\"" + CSS.escape(s.session_id) +
                                             "\"][data-student-id=\"" + CSS.escape(st.student_id) + "\"]");
            if (again) again.focus({ preventScroll: true });
          }));
          return el("td", {}, button);
        }));
    });
    if (!students.length) {
      rows.push(el("tr", {}, el("td", { colspan: sessions.length + 1, class: "empty" }, "No students enrolled.")));
    }
    const left = wrap.scrollLeft; // a redraw after a mark keeps the user's place
    wrap.replaceChildren(el("table", { class: "board", id: "board" },
      el("caption", { class: "visually-hidden" }, board.schedule_name + ": attendance by session"),
      el("thead", {}, head), el("tbody", {}, rows)));
    wrap.scrollLeft = left;
  }

  // Open on the latest sessions, where marking happens, rather than on the oldest.
  function scrollToToday() {
    const first = wrap.querySelector("thead th.upcoming");
    const sticky = wrap.querySelector("thead th.student");
    if (!first || !sticky) return;
    wrap.scrollLeft = Math.max(0, first.offsetLeft - sticky.offsetWidth - 2 * first.offsetWidth);
  }

  function openPicker(student, session, cell, opener, applied) {
    const when = formatDate(session.starts_at, zone) + ", " + formatTime(session.starts_at, zone) + " " +
                 zoneName(session.starts_at, zone);
    const choices = MARKABLE.map((status) =>
      el("button", { type: "button", data: { status }, "aria-pressed": cell.status === status ? "true" : "false",
                     class: status === "attended" ? "primary" : null }, STATUS_LABELS[status]));
    if (staff() && cell.status !== "unmarked") {
      choices.push(el("button", { type: "button", data: { status: "unmarked" } }, "Clear mark"));
    }
    const path = "/sessions/" + encodeURIComponent(session.session_id) + "/attendance/" +
                 encodeURIComponent(student.student_id);
    const box = el("div", { class: "dialog", role: "dialog", "aria-modal": "true", "aria-labelledby": "sheet-title" },
      el("h2", { id: "sheet-title" }, student.student_name),
      el("p", { class: "sub" }, when + " · " + statusText(cell.status, cell.held) +
         (student.balance === null ? " · no longer enrolled" : " · balance " + student.balance)),
      el("div", { class: "choices" }, choices),
      el("button", { type: "button", class: "link", onclick: closeSheet }, "Close"));
    // The answer may come after the user closed this picker and opened another one.
    const closeThis = () => {
      if (document.querySelector("#sheet").contains(box)) closeSheet();
    };
    for (const choice of choices) {
      choice.addEventListener("click", async () => {
        for (const c of choices) c.disabled = true;
        const status = choice.dataset.status;
        try {
          const mark = status === "unmarked" ? await api.call("DELETE", path)
                                             : await api.call("PUT", path, { status });
          closeThis();
          applied(mark);
        } catch (err) {
          closeThis();
          showError(err);
        }
      });
    }
    openSheet(box, opener);
  }

  drawTable();
  scrollToToday();
}
