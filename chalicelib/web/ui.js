// What every view shares: the error banner, the sheet (dialogs), paged lists and downloads.

import { ApiError } from "./api.js";
import { $, el } from "./dom.js";
import { query } from "./format.js";
import { api } from "./state.js";

export function showError(err, signInAgain) {
  const box = $("#error");
  const status = err instanceof ApiError ? err.status : 0;
  const code = err instanceof ApiError ? err.code : "error";
  const title = status ? status + " " + code : code;
  box.replaceChildren(el("strong", {}, title), ": ", err.message || "Something went wrong.");
  box.dataset.status = String(status);
  box.dataset.code = code;
  const details = (err.details || []).filter((d) => d && typeof d === "object");
  if (details.length) {
    box.append(el("ul", {}, details.map((d) => el("li", {}, String(d.field || "") + ": " + String(d.message || "")))));
  }
  if (status === 401 && signInAgain) box.append(" ", el("a", { href: "#/signin", onclick: signInAgain }, "Sign in again"));
  box.append(el("button", { type: "button", class: "link", onclick: clearError }, "Dismiss"));
  box.hidden = false;
  box.scrollIntoView({ block: "nearest" });
}

export function clearError() {
  const box = $("#error");
  box.hidden = true;
  box.replaceChildren();
  delete box.dataset.status;
  delete box.dataset.code;
}

export function openSheet(content, opener) {
  const sheet = $("#sheet");
  sheet.replaceChildren(content);
  sheet.hidden = false;
  sheet.opener = opener || document.activeElement;
  const first = content.querySelector("button, input, select, textarea, a[href]");
  if (first) first.focus();
}

export function closeSheet() {
  const sheet = $("#sheet");
  const opener = sheet.opener;
  sheet.hidden = true;
  sheet.replaceChildren();
  sheet.opener = null;
  if (opener && opener.isConnected && opener.focus) opener.focus({ preventScroll: true });
}

export function dialog(title, ...children) {
  const titleId = "sheet-title";
  return el("div", { class: "dialog", role: "dialog", "aria-modal": "true", "aria-labelledby": titleId },
    el("h2", { id: titleId }, title), children,
    el("button", { type: "button", class: "link close", onclick: closeSheet }, "Close"));
}

// Lists that come in pages: draws each page's items into `container` and offers the next
// page below `frame` (the element that holds the list), or replaces `frame` with
// `emptyText` when there is nothing at all.
export async function paged(container, path, params, drawItem, emptyText, frame) {
  const outer = frame || container;
  let next = null;
  let shown = 0;
  const more = el("button", { type: "button", class: "more", hidden: true }, "More");
  outer.after(more);
  async function load() {
    more.disabled = true;
    try {
      const page = await api.call("GET", path + query(Object.assign({}, params, { next })));
      for (const item of page.items || []) container.append(drawItem(item));
      shown += (page.items || []).length;
      next = page.next || null;
      more.hidden = !next;
      if (!shown) outer.replaceWith(el("p", { class: "empty" }, emptyText));
    } finally {
      more.disabled = false;
    }
  }
  more.addEventListener("click", () => load().catch((e) => showError(e)));
  await load();
}

// Every item of a list (for selects: schedules, staff), up to `cap` pages.
export async function all(path, cap) {
  const items = [];
  let next = null;
  for (let i = 0; i < (cap || 10); i++) {
    const page = await api.call("GET", path + query({ limit: 200, next }));
    items.push(...(page.items || []));
    next = page.next;
    if (!next) break;
  }
  return items;
}

// A button that fetches a CSV with the caller's token and hands it to the browser as a file.
export function csvButton(path, fallbackName, label) {
  const button = el("button", { type: "button", class: "csv", data: { csv: fallbackName } }, label || "Download CSV");
  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      const file = await api.download(path, fallbackName + ".csv");
      const url = URL.createObjectURL(new Blob([file.text], { type: file.type }));
      const a = el("a", { href: url, download: file.filename, hidden: true });
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } catch (err) {
      showError(err);
    } finally {
      button.disabled = false;
    }
  });
  return button;
}

export function heading(title, sub, ...actions) {
  return el("div", { class: "heading" },
    el("div", {}, el("h1", {}, title), sub ? el("p", { class: "sub" }, sub) : null),
    actions.length ? el("div", { class: "actions" }, actions) : null);
}

// A frame that scrolls sideways on a narrow screen (a wide table): reachable by keyboard,
// and named after what it holds (its table's caption, else `label`).
export function scrollBox(child, label) {
  const caption = child.querySelector ? child.querySelector("caption") : null;
  return el("div", { class: "list-wrap", tabindex: "0", role: "region",
                     "aria-label": label || (caption ? caption.textContent : "Table") }, child);
}
