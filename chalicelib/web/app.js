// The web app: staff attendance board and student portal over the OptClass JSON API.
//
// No build step and no framework, so it runs as served. The page holds no authority of
// its own: it keeps the pasted (or demo) token for this tab only and sends it with every
// call; what a user may see or change is decided by the API alone. All text from the API
// reaches the DOM as text nodes (never as markup).
(function () {
  "use strict";

  // The page lives at {stage root}/app; the API shares that root.
  const API_ROOT = location.pathname.replace(/\/app\/?$/, "");
  const TOKEN_KEY = "optclass.token";
  const LOW = 2;
  const STATUS_LABELS = { attended: "Attended", no_show: "No-show", cancelled: "Cancelled", unmarked: "—" };
  const MARKABLE = ["attended", "no_show", "cancelled"];
  const STAFF_ROLES = ["admin", "staff"];

  const state = { token: null, claims: null, view: 0 };

  // --- the DOM ------------------------------------------------------------------------

  const $ = (selector) => document.querySelector(selector);

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "class") node.className = value;
      else if (key === "data") for (const [k, v] of Object.entries(value)) node.dataset[k] = String(v);
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? "" : String(value));
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : String(child)); // a string becomes a text node
    }
    return node;
  }

  function balanceClass(balance) {
    if (balance <= 0) return "exhausted";
    if (balance <= LOW) return "low";
    return "";
  }

  function formatter(options, timeZone) {
    try {
      return new Intl.DateTimeFormat(undefined, Object.assign({}, options, timeZone ? { timeZone } : {}));
    } catch (e) {
      return new Intl.DateTimeFormat(undefined, options); // an unknown zone: the browser's own
    }
  }

  function formatDate(iso, timeZone) {
    const d = new Date(iso);
    return isNaN(d) ? String(iso) : formatter({ weekday: "short", day: "numeric", month: "short" }, timeZone).format(d);
  }

  function formatTime(iso, timeZone) {
    const d = new Date(iso);
    return isNaN(d) ? "" : formatter({ hour: "numeric", minute: "2-digit" }, timeZone).format(d);
  }

  function formatWhen(iso, timeZone) {
    const d = new Date(iso);
    if (isNaN(d)) return String(iso);
    return formatter({ weekday: "short", day: "numeric", month: "short", year: "numeric", hour: "2-digit",
                       minute: "2-digit" }, timeZone).format(d);
  }

  function statusLabel(status, held) {
    const label = STATUS_LABELS[status] || String(status);
    return held ? label + " (held)" : label;
  }

  function statusText(status, held) {
    return status === "unmarked" ? "not marked" : statusLabel(status, held).toLowerCase();
  }

  // --- the API ------------------------------------------------------------------------

  class ApiError extends Error {
    constructor(status, code, message, details) {
      super(message);
      this.status = status;
      this.code = code;
      this.details = details || [];
    }
  }

  function newKey() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    const bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  async function api(method, path, body) {
    const headers = { Accept: "application/json" };
    if (state.token) headers.Authorization = "Bearer " + state.token;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    // A retried click must not count twice: balance-changing routes honour the key.
    if (method !== "GET") headers["Idempotency-Key"] = newKey();
    let response;
    try {
      response = await fetch(API_ROOT + path, {
        method, headers, cache: "no-store", body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (e) {
      throw new ApiError(0, "network_error", "The server could not be reached (" + e.message + ").");
    }
    const text = await response.text();
    let data = null;
    try {
      data = text ? JSON.parse(text) : null;
    } catch (e) {
      data = null;
    }
    if (!response.ok) {
      const err = data && typeof data === "object" ? data.error : null;
      if (err && typeof err === "object") {
        throw new ApiError(response.status, String(err.code || "error"), String(err.message || ""),
                           Array.isArray(err.details) ? err.details : []);
      }
      throw new ApiError(response.status, "http_" + response.status, text.slice(0, 300) || response.statusText);
    }
    if (data === null) throw new ApiError(response.status, "bad_answer", "The server's answer was not JSON.");
    return data;
  }

  function query(params) {
    const parts = Object.entries(params).filter(([, v]) => v !== null && v !== undefined && v !== "");
    return parts.length ? "?" + new URLSearchParams(parts).toString() : "";
  }

  // --- errors ---------------------------------------------------------------------------

  function showError(err) {
    const box = $("#error");
    const status = err instanceof ApiError ? err.status : 0;
    const code = err instanceof ApiError ? err.code : "error";
    const title = status ? status + " " + code : code;
    box.replaceChildren(el("strong", {}, title), ": ", err.message || "Something went wrong.");
    box.dataset.status = String(status);
    box.dataset.code = code;
    const details = (err.details || []).filter((d) => d && typeof d === "object");
    if (details.length) {
      box.append(el("ul", {}, details.map((d) =>
        el("li", {}, String(d.field || "") + ": " + String(d.message || "")))));
    }
    if (status === 401) box.append(" ", el("a", { href: "#/signin", onclick: signOut }, "Sign in again"));
    box.append(el("button", { type: "button", class: "link", onclick: clearError }, "Dismiss"));
    box.hidden = false;
    box.scrollIntoView({ block: "nearest" });
  }

  function clearError() {
    const box = $("#error");
    box.hidden = true;
    box.replaceChildren();
    delete box.dataset.status;
    delete box.dataset.code;
  }

  // --- the signed-in user -------------------------------------------------------------

  function decodeClaims(token) {
    const parts = token.split(".");
    if (parts.length !== 3) return null;
    try {
      const b64 = parts[1].replace(/-/g, "+").replace(/_/g, "/");
      const bytes = atob(b64.padEnd(Math.ceil(b64.length / 4) * 4, "="));
      // atob gives one character per byte; the claims are UTF-8.
      const text = new TextDecoder().decode(Uint8Array.from(bytes, (c) => c.charCodeAt(0)));
      const claims = JSON.parse(text);
      return claims && typeof claims === "object" ? claims : null;
    } catch (e) {
      return null;
    }
  }

  function roleOf(claims) {
    if (!claims) return null;
    if (typeof claims.role === "string") return claims.role;
    const groups = claims["cognito:groups"];
    return Array.isArray(groups) && groups.length ? String(groups[0]) : null;
  }

  function setToken(token) {
    state.token = token;
    state.claims = token ? decodeClaims(token) : null;
    try {
      if (token) sessionStorage.setItem(TOKEN_KEY, token);
      else sessionStorage.removeItem(TOKEN_KEY);
    } catch (e) {
      // Storage can be off (private modes); the token then lasts until the page reloads.
    }
  }

  function loadToken() {
    try {
      const token = sessionStorage.getItem(TOKEN_KEY);
      if (token) setToken(token);
    } catch (e) {
      // as above
    }
  }

  function role() {
    return roleOf(state.claims);
  }

  function home() {
    return role() === "student" ? "#/me" : "#/schedules";
  }

  function signOut(event) {
    if (event) event.preventDefault();
    setToken(null);
    clearError();
    location.hash = "#/signin";
  }

  function renderChrome(current) {
    const nav = $("#nav");
    nav.replaceChildren();
    const r = role();
    const links = [];
    if (r === "student") links.push(["#/me", "My sessions"]);
    else if (r) {
      links.push(["#/schedules", "Schedules"]);
      if (STAFF_ROLES.includes(r)) links.push(["#/held", "Held no-shows"]);
      links.push(["#/notifications", "Notifications"]);
    }
    for (const [href, text] of links) {
      nav.append(el("a", { href, "aria-current": current.startsWith(href) ? "page" : null }, text));
    }
    const who = state.claims ? [r || "?", state.claims.sub || ""].filter(Boolean).join(" · ") : "";
    $("#who").textContent = who;
    $("#signout").hidden = !state.token;
  }

  // --- views ----------------------------------------------------------------------------

  const VIEWS = [
    [/^#\/signin$/, viewSignIn],
    [/^#\/schedules$/, viewSchedules],
    [/^#\/board\/([^/?]+)(?:\?(.*))?$/, viewBoard],
    [/^#\/held$/, viewHeld],
    [/^#\/notifications$/, viewNotifications],
    [/^#\/me$/, viewPortal],
  ];

  function show() {
    closeSheet();
    clearError();
    const view = ++state.view;
    const hash = location.hash || "";
    if (!state.token && hash !== "#/signin") {
      location.replace("#/signin");
      return;
    }
    const match = VIEWS.map(([pattern, fn]) => [hash.match(pattern), fn]).find(([m]) => m);
    if (!match) {
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
      .then(() => match[1](main, match[0], current))
      .catch((err) => {
        if (!current()) return;
        main.replaceChildren();
        showError(err);
      })
      .finally(() => {
        if (current()) main.setAttribute("aria-busy", "false");
      });
  }

  async function viewSignIn(main, m, current) {
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
    const demo = el("section", { class: "panel", id: "demo-users", hidden: true });
    main.replaceChildren(form, demo);
    let answer;
    try {
      answer = await api("GET", "/local/demo-tokens");
    } catch (e) {
      return; // not the local stage: no demo users, and that is no error
    }
    if (!current() || !answer || typeof answer.tokens !== "object") return;
    const labels = { admin: "Admin", staff: "Staff", teacher: "Teacher", student: "Student" };
    demo.append(el("h2", {}, "Demo users"),
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

  // Lists that come in pages: draws each page's items into `container` and offers the
  // next page below `frame` (the element that holds the list), or replaces `frame` with
  // `emptyText` when there is nothing at all.
  async function paged(container, path, params, drawItem, emptyText, frame) {
    const outer = frame || container;
    let next = null;
    let shown = 0;
    const more = el("button", { type: "button", class: "more", hidden: true }, "More");
    outer.after(more);
    async function load() {
      more.disabled = true;
      try {
        const page = await api("GET", path + query(Object.assign({}, params, { next })));
        for (const item of page.items || []) container.append(drawItem(item));
        shown += (page.items || []).length;
        next = page.next || null;
        more.hidden = !next;
        if (!shown) outer.replaceWith(el("p", { class: "empty" }, emptyText));
      } finally {
        more.disabled = false;
      }
    }
    more.addEventListener("click", () => load().catch(showError));
    await load();
  }

  async function viewSchedules(main) {
    const list = el("ul", { class: "cards", id: "schedules" });
    main.replaceChildren(el("h1", {}, "Schedules"),
                         el("p", { class: "sub" }, "Open a schedule to see and mark its attendance."), list);
    await paged(list, "/schedules", {}, (s) => {
      const rec = s.recurrence;
      const when = rec ? rec.weekdays.join(", ") + " " + rec.start_time + " (" + rec.duration_minutes + " min)"
                       : "sessions as booked";
      return el("li", { class: "card", data: { scheduleId: s.id } },
                el("a", { href: "#/board/" + encodeURIComponent(s.id) }, s.name),
                el("div", { class: "meta" },
                   (s.kind === "group" ? "Group" : "1:1") + " · " + (s.teacher_name || "no teacher")),
                el("div", { class: "meta" }, when));
    }, "No schedules.");
  }

  async function viewBoard(main, m, current) {
    const scheduleId = decodeURIComponent(m[1]);
    const params = new URLSearchParams(m[2] || "");
    const range = { from: params.get("from") || "", to: params.get("to") || "" };
    const base = "/schedules/" + encodeURIComponent(scheduleId) + "/board";
    let board = await api("GET", base + query(range));
    if (!current()) return;
    const sessions = board.items.slice();
    const students = board.students.slice();

    const fromInput = el("input", { type: "date", name: "from", value: range.from });
    const toInput = el("input", { type: "date", name: "to", value: range.to });
    const rangeForm = el("form", { class: "range", onsubmit: (event) => {
      event.preventDefault();
      location.hash = "#/board/" + encodeURIComponent(scheduleId) + query({ from: fromInput.value, to: toInput.value });
    } },
      el("label", {}, "From", fromInput), el("label", {}, "To", toInput),
      el("button", { type: "submit" }, "Show"),
      el("span", { class: "sub" }, range.from || range.to ? "" : "4 weeks either side of today"));

    const wrap = el("div", { class: "board-wrap" });
    const more = el("button", { type: "button", class: "more", hidden: !board.next }, "More sessions");
    more.addEventListener("click", async () => {
      more.disabled = true;
      try {
        const page = await api("GET", base + query(Object.assign({}, range, { next: board.next })));
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

    main.replaceChildren(
      el("h1", { id: "board-title" }, board.schedule_name),
      el("p", { class: "sub" }, (board.kind === "group" ? "Group" : "1:1") + " · times in " + board.timezone),
      rangeForm,
      el("div", { class: "legend" }, el("span", { class: "badge low" }, "≤ " + LOW), "low balance",
         el("span", { class: "badge exhausted" }, "≤ 0"), "exhausted"),
      wrap, more);

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
          formatDate(s.starts_at, board.timezone),
          el("span", { class: "t" },
             formatTime(s.starts_at, board.timezone) + "–" + formatTime(s.ends_at, board.timezone)),
          el("span", { class: "t" }, s.teacher_name || ""),
          s.status === "cancelled" ? el("span", { class: "t" }, "cancelled") : null)));
      const rows = students.map((st) => {
        const enrolled = st.balance !== null && st.balance !== undefined;  // null: no longer enrolled
        const badge = enrolled ? el("span", { class: "badge", data: { balance: st.balance } }, String(st.balance))
                               : null;
        const row = el("tr", { class: (enrolled && balanceClass(st.balance)) || null,
                               data: { studentId: st.student_id } },
          el("th", { class: "student", scope: "row" }, el("span", { class: "name" }, st.student_name), badge,
             st.status !== "active" ? el("span", { class: "sub" }, " " + st.status) : null),
          sessions.map((s) => {
            const cell = s.attendance.find((a) => a.student_id === st.student_id);
            if (!cell) return el("td", { class: "none" });
            const button = el("button", { type: "button", class: "cell", disabled: s.status === "cancelled",
                                          data: { sessionId: s.session_id, studentId: st.student_id,
                                                  status: cell.status } },
                              statusLabel(cell.status, cell.held));
            button.setAttribute("aria-label", st.student_name + ", " + formatDate(s.starts_at, board.timezone) + " " +
                                formatTime(s.starts_at, board.timezone) + ": " + statusText(cell.status, cell.held));
            button.addEventListener("click", () => openPicker(st, s, cell, (mark) => {
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
        return row;
      });
      if (!students.length) {
        rows.push(el("tr", {}, el("td", { colspan: sessions.length + 1, class: "empty" }, "No students enrolled.")));
      }
      const left = wrap.scrollLeft; // a redraw after a mark keeps the user's place
      wrap.replaceChildren(el("table", { class: "board", id: "board" }, el("thead", {}, head), el("tbody", {}, rows)));
      wrap.scrollLeft = left;
    }

    // Open on the latest sessions, where marking happens, rather than on the oldest.
    function scrollToToday() {
      const first = wrap.querySelector("thead th.upcoming");
      const sticky = wrap.querySelector("thead th.student");
      if (!first || !sticky) return;
      wrap.scrollLeft = Math.max(0, first.offsetLeft - sticky.offsetWidth - 2 * first.offsetWidth);
    }

    function openPicker(student, session, cell, applied) {
      const when = formatDate(session.starts_at, board.timezone) + ", " + formatTime(session.starts_at, board.timezone);
      const choices = MARKABLE.map((status) =>
        el("button", { type: "button", data: { status }, "aria-pressed": cell.status === status ? "true" : "false",
                       class: status === "attended" ? "primary" : null }, STATUS_LABELS[status]));
      if (STAFF_ROLES.includes(role()) && cell.status !== "unmarked") {
        choices.push(el("button", { type: "button", data: { status: "unmarked" } }, "Clear mark"));
      }
      const path = "/sessions/" + encodeURIComponent(session.session_id) +
                   "/attendance/" + encodeURIComponent(student.student_id);
      const dialog = el("div", { class: "dialog", role: "dialog", "aria-modal": "true",
                                 "aria-labelledby": "sheet-title" },
        el("h2", { id: "sheet-title" }, student.student_name),
        el("p", { class: "sub" },
           when + " · " + statusText(cell.status, cell.held) +
           (student.balance === null ? " · no longer enrolled" : " · balance " + student.balance)),
        el("div", { class: "choices" }, choices),
        el("button", { type: "button", class: "link", onclick: closeSheet }, "Close"));
      // The answer may come after the user closed this picker and opened another one.
      const closeThis = () => {
        if ($("#sheet").contains(dialog)) closeSheet();
      };
      for (const choice of choices) {
        choice.addEventListener("click", async () => {
          for (const c of choices) c.disabled = true;
          const status = choice.dataset.status;
          try {
            const mark = status === "unmarked" ? await api("DELETE", path) : await api("PUT", path, { status });
            closeThis();
            applied(mark);
          } catch (err) {
            closeThis();
            showError(err);
          }
        });
      }
      openSheet(dialog);
      choices[0].focus();
    }

    drawTable();
    scrollToToday();
  }

  function openSheet(content) {
    const sheet = $("#sheet");
    sheet.replaceChildren(content);
    sheet.hidden = false;
  }

  function closeSheet() {
    const sheet = $("#sheet");
    sheet.hidden = true;
    sheet.replaceChildren();
  }

  // A board link that shows the days around one session, however old it is (a day either
  // side, since the board's dates are the schedule's own and may differ from UTC's).
  function boardAround(scheduleId, startsAt) {
    const link = "#/board/" + encodeURIComponent(scheduleId);
    const t = new Date(startsAt).getTime();
    if (isNaN(t)) return link;
    const day = (ms) => new Date(ms).toISOString().slice(0, 10);
    return link + query({ from: day(t - 864e5), to: day(t + 864e5) });
  }

  async function viewHeld(main) {
    const body = el("tbody", { id: "held" });
    const table = el("div", { class: "list-wrap" }, el("table", { class: "list" },
      el("thead", {}, el("tr", {}, el("th", {}, "Session"), el("th", {}, "Schedule"), el("th", {}, "Student"))), body));
    main.replaceChildren(el("h1", {}, "Held no-shows"),
                         el("p", { class: "sub" }, "No-shows not yet charged under a hold policy."), table);
    await paged(body, "/attendance/held", {}, (h) =>
      el("tr", { data: { sessionId: h.session_id, studentId: h.student_id } },
         el("td", {}, formatWhen(h.starts_at)),
         el("td", {}, el("a", { href: boardAround(h.schedule_id, h.starts_at) }, h.schedule_name)),
         el("td", {}, h.student_name)), "No held no-shows.", table);
  }

  async function viewNotifications(main) {
    const list = el("ul", { class: "cards", id: "notifications" });
    main.replaceChildren(el("h1", {}, "Notifications"),
                         el("p", { class: "sub" }, "Students whose balance ran low or out, newest first."), list);
    await paged(list, "/notifications", {}, (n) => {
      const card = el("li", { class: ["card", n.kind === "exhausted" ? "exhausted" : "low"].join(" "),
                              data: { notificationId: n.id } },
        el("div", {}, el("strong", {}, n.student_name), " · ", n.schedule_name),
        el("div", {}, (n.kind === "exhausted" ? "No sessions left" : "Low balance") + ": ",
           el("span", { class: "badge" }, String(n.balance)), " (threshold " + n.threshold + ")"),
        el("div", { class: "meta" }, formatWhen(n.created_at) + (n.read_at ? " · read" : "")));
      if (!n.read_at) {
        const read = el("button", { type: "button", class: "link" }, "Mark read");
        read.addEventListener("click", async () => {
          read.disabled = true;
          try {
            const done = await api("POST", "/notifications/" + encodeURIComponent(n.id) + "/read");
            read.replaceWith(el("span", { class: "meta" }, "read " + formatWhen(done.read_at)));
          } catch (err) {
            read.disabled = false;
            showError(err);
          }
        });
        card.append(read);
      }
      return card;
    }, "No notifications.");
  }

  function sessionItem(s) {
    let label = s.status === "unmarked" ? "" : statusLabel(s.status);
    if (s.session_status === "cancelled" && s.status === "cancelled") label = "Cancelled by the school";
    return el("li", { data: { sessionId: s.session_id, status: s.status } },
      el("div", {}, el("strong", {}, formatWhen(s.starts_at)),
         el("div", { class: "meta" }, s.schedule_name + (s.teacher_name ? " · " + s.teacher_name : ""))),
      el("span", { class: "status " + s.status }, label));
  }

  async function viewPortal(main, m, current) {
    const [me, enrollments] = await Promise.all([api("GET", "/me"), api("GET", "/me/enrollments?limit=200")]);
    if (!current()) return;
    const cards = el("ul", { class: "cards", id: "enrollments" }, enrollments.items.map((e) =>
      el("li", { class: ["card", balanceClass(e.remaining_sessions)].join(" ").trim(), data: { enrollmentId: e.id } },
         el("div", {}, el("strong", {}, e.schedule_name)),
         el("div", { class: "big", data: { remaining: e.remaining_sessions } }, String(e.remaining_sessions)),
         el("div", { class: "meta" }, e.remaining_sessions === 1 ? "session left" : "sessions left",
            e.status !== "active" ? " · " + e.status : ""))));
    const upcoming = el("ul", { class: "sessions", id: "upcoming" });
    const past = el("ul", { class: "sessions", id: "past" });
    main.replaceChildren(
      el("h1", {}, "Hello, " + me.name),
      el("p", { class: "sub" }, "Your remaining sessions and your attendance."),
      el("h2", {}, "Remaining sessions"),
      enrollments.items.length ? cards : el("p", { class: "empty" }, "You are not enrolled in anything yet."),
      el("h2", {}, "Upcoming"), upcoming,
      el("h2", {}, "Past"), past);
    await Promise.all([
      paged(upcoming, "/me/sessions", { when: "upcoming", limit: 20 }, sessionItem, "No upcoming sessions."),
      paged(past, "/me/sessions", { when: "past", limit: 20 }, sessionItem, "No past sessions."),
    ]);
  }

  // --- start ------------------------------------------------------------------------------

  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape") closeSheet();
  });
  $("#sheet").addEventListener("click", (event) => {
    if (event.target.id === "sheet") closeSheet(); // a tap outside the dialog
  });
  $("#signout").addEventListener("click", signOut);
  window.addEventListener("hashchange", show);
  loadToken();
  show();
})();
