// Booking-system integrations (admin): each connection, its failed deliveries and a
// replay of one once its data is fixed; and adding a connection (its secret shown once).

import { el } from "./dom.js";
import { formatWhen } from "./format.js";
import { invalid, writeForm } from "./forms.js";
import { WriteKey } from "./api.js";
import { api, companyZone } from "./state.js";
import { all, heading, paged, scrollBox } from "./ui.js";

function deliveryRow(d, zone) {
  const outcome = el("td", { class: "outcome", "aria-live": "polite" });
  const row = el("tr", { data: { deliveryId: d.id, status: d.status } },
    el("td", {}, formatWhen(d.received_at, zone)),
    el("td", {}, d.event || "—"),
    el("td", {}, d.booking_id || "—"),
    el("td", { class: "reason" }, d.reason || ""),
    el("td", {}, String(d.replays)),
    outcome);
  if (d.status === "failed") {
    const key = new WriteKey();
    const replay = el("button", { type: "button", class: "replay" }, "Replay");
    replay.addEventListener("click", async () => {
      replay.disabled = true;
      outcome.className = "outcome";
      try {
        const path = "/integrations/" + encodeURIComponent(d.integration_id) + "/deliveries/" +
                     encodeURIComponent(d.id) + "/replay";
        const done = await api.call("POST", path, undefined, { key });
        row.dataset.status = done.status;
        outcome.textContent = done.status === "failed" ? "still failed: " + (done.reason || "") : done.status;
        if (done.status === "failed") replay.disabled = false;
        else replay.remove();
      } catch (err) {
        outcome.className = "outcome error";
        outcome.textContent = (err.status ? err.status + " " : "") + err.code + ": " + err.message;
        replay.disabled = false;
      }
    });
    outcome.append(replay);
  } else {
    outcome.textContent = d.status;
  }
  return row;
}

async function integrationPanel(i, zone) {
  const body = el("tbody", { class: "deliveries" });
  const table = scrollBox(el("table", { class: "list" },
    el("caption", {}, "Failed deliveries, newest first"),
    el("thead", {}, el("tr", {}, ["Received", "Event", "Booking", "Why it failed", "Replays", ""].map((h) =>
      el("th", { scope: "col" }, h || el("span", { class: "visually-hidden" }, "Replay"))))), body));
  const section = el("section", { class: "panel integration", data: { integrationId: i.id },
                                   "aria-labelledby": "int-" + i.id },
    el("h2", { id: "int-" + i.id }, i.name),
    el("p", { class: "meta" }, i.provider + " · deliveries to " + i.webhook_path + (i.active ? "" : " · inactive")),
    table);
  await paged(body, "/integrations/" + encodeURIComponent(i.id) + "/deliveries", { status: "failed", limit: 50 },
              (d) => deliveryRow(d, zone), "No failed deliveries.", table);
  return section;
}

async function addForm(schedules) {
  return writeForm({
    id: "add-integration",
    title: "Connect a booking system",
    fields: [
      { name: "provider", label: "Provider", type: "select",
        options: [["standard", "Standard Webhooks"], ["calcom", "Cal.com"], ["calendly", "Calendly"], ["acuity", "Acuity"]] },
      { name: "name", label: "Name", required: true },
      { name: "default_schedule_id", label: "Schedule for bookings of any event type", type: "select",
        options: [["", "None"]].concat(schedules.map((s) => [s.id, s.name])) },
      { name: "secret", label: "Secret or API key", hint: "Optional: the provider's; else one is made and shown once." },
    ],
    submitLabel: "Connect",
    body: (v) => {
      if (!v.name) throw invalid("name", "give it a name");
      const body = { provider: v.provider, name: v.name, event_types: {} };
      if (v.default_schedule_id) body.default_schedule_id = v.default_schedule_id;
      if (v.secret) body.secret = v.secret;
      return body;
    },
    send: (body, key) => api.call("POST", "/integrations", body, { key }),
    doneText: (made) => "Connected. Deliver to " + made.webhook_path + " with the secret " + made.secret +
                        " (shown this once).",
  });
}

export async function viewIntegrations(main, params, search, current) {
  const [zone, integrations, schedules] = await Promise.all([companyZone(), all("/integrations"), all("/schedules")]);
  if (!current()) return;
  const list = el("div", { id: "integrations" });
  main.replaceChildren(heading("Integrations", "Booking systems that send us their bookings. Times in " + zone + "."),
                       list, el("details", { class: "add" }, el("summary", {}, "Connect a booking system"),
                                await addForm(schedules)));
  if (!integrations.length) list.append(el("p", { class: "empty" }, "No booking system is connected."));
  for (const i of integrations) list.append(await integrationPanel(i, zone));
}
