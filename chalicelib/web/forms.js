// Forms that write: labelled fields, the API's errors shown next to the field they name,
// and one Idempotency-Key kept per form until its write gets an answer (api.js WriteKey).
// A submit while the last one is still on its way is the same write, not a second one.

import { ApiError, WriteKey } from "./api.js";
import { el, uid } from "./dom.js";

// A field: {name, label, type ("text", "number", "select", "textarea", "checkbox", "date",
// "time", "email", "weekdays"), value, options: [[value, text]], hint, required, attrs}.
export function field(spec) {
  const id = uid("f-" + spec.name.replace(/[^a-z0-9]/gi, "-"));
  const errorId = id + "-error";
  const hintId = spec.hint ? id + "-hint" : null;
  const common = { id, name: spec.name, "aria-describedby": [hintId, errorId].filter(Boolean).join(" "),
                   required: spec.required || null };
  let input;
  if (spec.type === "select") {
    input = el("select", common, (spec.options || []).map(([v, text]) =>
      el("option", { value: v, selected: String(v) === String(spec.value ?? "") || null }, text)));
  } else if (spec.type === "textarea") {
    input = el("textarea", Object.assign({}, common, spec.attrs || {}), spec.value ?? "");
  } else if (spec.type === "weekdays") {
    const chosen = new Set(spec.value || []);
    input = el("fieldset", { id, class: "weekdays", "aria-describedby": common["aria-describedby"], data: { name: spec.name } },
      el("legend", {}, spec.label),
      ["MO", "TU", "WE", "TH", "FR", "SA", "SU"].map((d) =>
        el("label", { class: "check" },
           el("input", { type: "checkbox", name: spec.name, value: d, checked: chosen.has(d) || null }), d)));
  } else {
    input = el("input", Object.assign({ type: spec.type || "text", value: spec.value ?? null,
                                        checked: spec.type === "checkbox" && spec.value ? true : null },
                                      common, spec.attrs || {}));
  }
  const label = spec.type === "weekdays" ? null : el("label", { for: id }, spec.label);
  const wrap = el("div", { class: "field" + (spec.type === "checkbox" ? " inline" : ""), data: { field: spec.name } },
    spec.type === "checkbox" ? [input, label] : [label, input],
    spec.hint ? el("p", { class: "hint", id: hintId }, spec.hint) : null,
    el("p", { class: "field-error", id: errorId, hidden: true }));
  return wrap;
}

function valueOf(form, name, type) {
  if (type === "weekdays") {
    return Array.from(form.querySelectorAll("input[type=checkbox][name='" + name + "']"))
      .filter((c) => c.checked).map((c) => c.value);
  }
  const input = form.elements.namedItem(name);
  if (!input) return undefined;
  if (type === "checkbox") return input.checked;
  const raw = String(input.value).trim();
  if (raw === "") return undefined;
  if (type === "number") return Number(raw);
  return raw;
}

// spec: {id, title, fields: [field specs], submitLabel, body(values) -> JSON, send(body, key)
// -> Promise, done(answer, form)}. Returns the <form>.
export function writeForm(spec) {
  const key = new WriteKey();
  const status = el("div", { class: "form-status", role: "status", "aria-live": "polite" });
  const button = el("button", { type: "submit", class: "primary" }, spec.submitLabel || "Save");
  const fields = spec.fields.map(field);
  const form = el("form", { id: spec.id || null, class: "panel form", novalidate: true,
                            "aria-labelledby": spec.title ? spec.id + "-title" : null },
    spec.title ? el("h2", { id: spec.id + "-title" }, spec.title) : null,
    spec.intro ? el("p", { class: "sub" }, spec.intro) : null,
    el("div", { class: "fields" }, fields),
    el("div", { class: "row more" }, button, status));
  let inFlight = null;

  function clearErrors() {
    status.replaceChildren();
    status.className = "form-status";
    for (const p of form.querySelectorAll(".field-error")) {
      p.hidden = true;
      p.textContent = "";
    }
    for (const i of form.querySelectorAll("[aria-invalid]")) i.removeAttribute("aria-invalid");
  }

  function showErrors(err) {
    const unplaced = [];
    for (const d of err.details || []) {
      const name = String(d.field || "");
      const wrap = name ? form.querySelector(".field[data-field='" + CSS.escape(name) + "']") ||
        form.querySelector(".field[data-field='" + CSS.escape(name.split(".")[0]) + "']") : null;
      if (wrap) {
        const p = wrap.querySelector(".field-error");
        p.textContent = (p.textContent ? p.textContent + "; " : "") + String(d.message || "invalid");
        p.hidden = false;
        const input = wrap.querySelector("input, select, textarea, fieldset");
        if (input) input.setAttribute("aria-invalid", "true");
      } else {
        unplaced.push(d);
      }
    }
    status.className = "form-status error";
    const code = err instanceof ApiError ? err.code : "error";
    status.dataset.code = code;
    status.append(el("strong", {}, (err.status ? err.status + " " : "") + code), ": ", err.message || "Something went wrong.",
                  unplaced.length ? el("ul", {}, unplaced.map((d) =>
                    el("li", {}, (d.field ? String(d.field) + ": " : "") + String(d.message || "")))) : null);
    const first = form.querySelector("[aria-invalid=true]");
    if (first && first.focus) first.focus();
  }

  async function submit() {
    clearErrors();
    const values = {};
    for (const f of spec.fields) values[f.name] = valueOf(form, f.name, f.type);
    let body;
    try {
      body = spec.body ? spec.body(values) : values;
    } catch (e) {
      showErrors(e instanceof ApiError ? e : new ApiError(0, "invalid_input", e.message));
      return;
    }
    button.disabled = true;
    form.setAttribute("aria-busy", "true");
    try {
      const answer = await spec.send(body, key);
      status.className = "form-status ok";
      status.textContent = spec.doneText ? spec.doneText(answer) : "Saved.";
      if (spec.done) await spec.done(answer, form);
    } catch (err) {
      showErrors(err);
    } finally {
      button.disabled = false;
      form.removeAttribute("aria-busy");
    }
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (inFlight) return; // a second click while the first is on its way: the same write
    inFlight = submit().finally(() => {
      inFlight = null;
    });
  });
  form.writeKey = key;
  return form;
}

// A body builder's refusal of what the API would refuse anyway, named by field.
export function invalid(fieldName, message) {
  return new ApiError(0, "invalid_input", "Check the form.", [{ field: fieldName, message }]);
}
