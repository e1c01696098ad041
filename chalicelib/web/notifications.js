// The caller's notifications: students whose balance ran low or out.

import { el } from "./dom.js";
import { formatWhen } from "./format.js";
import { api, companyZone } from "./state.js";
import { heading, paged, showError } from "./ui.js";

export async function viewNotifications(main) {
  const zone = await companyZone();
  const list = el("ul", { class: "cards", id: "notifications" });
  main.replaceChildren(heading("Notifications", "Students whose balance ran low or out, newest first."), list);
  await paged(list, "/notifications", {}, (n) => {
    const card = el("li", { class: ["card", n.kind === "exhausted" ? "exhausted" : "low"].join(" "),
                            data: { notificationId: n.id } },
      el("div", {}, el("strong", {}, n.student_name), " · ", n.schedule_name),
      el("div", {}, (n.kind === "exhausted" ? "No sessions left" : "Low balance") + ": ",
         el("span", { class: "badge" }, String(n.balance)), " (threshold " + n.threshold + ")"),
      el("div", { class: "meta" }, formatWhen(n.created_at, zone) + (n.read_at ? " · read" : "")));
    if (!n.read_at) {
      const read = el("button", { type: "button", class: "link" }, "Mark read");
      read.addEventListener("click", async () => {
        read.disabled = true;
        try {
          const done = await api.call("POST", "/notifications/" + encodeURIComponent(n.id) + "/read");
          read.replaceWith(el("span", { class: "meta" }, "read " + formatWhen(done.read_at, zone)));
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
