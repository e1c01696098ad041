// Pure helpers for what the pages show: balances against their thresholds, times in a named
// zone (every time shown says its zone), labels, query strings and percentages. No DOM here:
// tests/web/ runs these under Node's test runner.

export const STATUS_LABELS = { attended: "Attended", no_show: "No-show", cancelled: "Cancelled", unmarked: "—" };
export const MARKABLE = ["attended", "no_show", "cancelled"];

// A balance at or below zero is exhausted; at or below its threshold (the one the API says
// applies to the enrollment) it is low. Without a threshold nothing is called low.
export function balanceClass(balance, threshold) {
  if (balance === null || balance === undefined) return "";
  if (balance <= 0) return "exhausted";
  if (threshold !== null && threshold !== undefined && balance <= threshold) return "low";
  return "";
}

const formatters = new Map();

function formatter(options, timeZone, locale) {
  const key = JSON.stringify([options, timeZone || null, locale || null]);
  if (!formatters.has(key)) {
    let made;
    try {
      made = new Intl.DateTimeFormat(locale, Object.assign({}, options, timeZone ? { timeZone } : {}));
    } catch (e) {
      made = new Intl.DateTimeFormat(locale, Object.assign({}, options, { timeZone: "UTC" })); // an unknown zone
    }
    formatters.set(key, made);
  }
  return formatters.get(key);
}

function parsed(iso) {
  const d = new Date(iso);
  return isNaN(d.getTime()) ? null : d;
}

// The zone a time is shown in, as it would be written after the time ("CET", "GMT+9").
export function zoneName(iso, timeZone, locale) {
  const d = parsed(iso) || new Date(0);
  const part = formatter({ timeZoneName: "short", hour: "numeric" }, timeZone, locale)
    .formatToParts(d).find((p) => p.type === "timeZoneName");
  return part ? part.value : timeZone || "UTC";
}

export function formatDate(iso, timeZone, locale) {
  const d = parsed(iso);
  return d ? formatter({ weekday: "short", day: "numeric", month: "short" }, timeZone, locale).format(d) : String(iso);
}

// A time of day without its zone: for places that say the zone once (a board's header).
export function formatTime(iso, timeZone, locale) {
  const d = parsed(iso);
  return d ? formatter({ hour: "2-digit", minute: "2-digit", hourCycle: "h23" }, timeZone, locale).format(d) : "";
}

// A date and time with its zone, e.g. "Tue, 1 Dec 2026, 17:00 CET".
export function formatWhen(iso, timeZone, locale) {
  const d = parsed(iso);
  if (!d) return String(iso);
  return formatter({ weekday: "short", day: "numeric", month: "short", year: "numeric", hour: "2-digit",
                     minute: "2-digit", hourCycle: "h23", timeZoneName: "short" }, timeZone, locale).format(d);
}

// The calendar day (YYYY-MM-DD) an instant falls on in a zone.
export function dayIn(iso, timeZone) {
  const d = parsed(iso);
  if (!d) return "";
  const parts = formatter({ year: "numeric", month: "2-digit", day: "2-digit" }, timeZone, "en-CA").formatToParts(d);
  const get = (type) => (parts.find((p) => p.type === type) || {}).value;
  return get("year") + "-" + get("month") + "-" + get("day");
}

// Days (YYYY-MM-DD) `n` days from `day`, by the calendar (no zone involved).
export function addDays(day, n) {
  const d = new Date(day + "T00:00:00Z");
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

// `count` windows of `days` days ending on `last`, oldest first: [{from, to}, ...].
export function windows(last, count, days) {
  const out = [];
  for (let i = count - 1; i >= 0; i--) {
    const to = addDays(last, -i * days);
    out.push({ from: addDays(to, -(days - 1)), to });
  }
  return out;
}

export function statusLabel(status, held) {
  const label = STATUS_LABELS[status] || String(status);
  return held ? label + " (held)" : label;
}

export function statusText(status, held) {
  return status === "unmarked" ? "not marked" : statusLabel(status, held).toLowerCase();
}

export function percent(ratio) {
  if (ratio === null || ratio === undefined || Number.isNaN(ratio)) return "—";
  return Math.round(ratio * 100) + "%";
}

export function plural(n, one, many) {
  return n + " " + (n === 1 ? one : many);
}

export function query(params) {
  const parts = Object.entries(params || {}).filter(([, v]) => v !== null && v !== undefined && v !== "");
  return parts.length ? "?" + new URLSearchParams(parts.map(([k, v]) => [k, String(v)])).toString() : "";
}

export const REASON_TEXT = {
  declining: "attendance is falling",
  no_show_streak: "missed several sessions in a row",
  low_rate: "attends rarely",
};

export function reasonsText(reasons) {
  return (reasons || []).map((r) => REASON_TEXT[r] || String(r)).join("; ");
}

// How far a zone's wall clock is ahead of UTC at an instant, in milliseconds.
export function zoneOffset(ms, timeZone) {
  const parts = formatter({ year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit",
                            second: "2-digit", hourCycle: "h23" }, timeZone, "en-CA").formatToParts(new Date(ms));
  const get = (type) => Number((parts.find((p) => p.type === type) || {}).value);
  const wall = Date.UTC(get("year"), get("month") - 1, get("day"), get("hour"), get("minute"), get("second"));
  return wall - Math.floor(ms / 1000) * 1000;
}

// The instant (ISO, UTC) at which a zone's wall clock reads `local` ("2026-12-01T17:00").
// A wall time a clock change skips or repeats gives one of the instants beside it.
export function zonedInstant(local, timeZone) {
  const m = String(local || "").match(/^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})$/);
  if (!m) return null;
  const guess = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]));
  const first = guess - zoneOffset(guess, timeZone);
  const second = guess - zoneOffset(first, timeZone);
  return new Date(zoneOffset(second, timeZone) === zoneOffset(first, timeZone) ? second : first).toISOString();
}

export const SOURCE_LABELS = { opening: "opening balance", top_up: "top-up", sale: "sale", make_up: "make-up",
                               adjustment: "adjustment" };

// The last day a package can be used, in a zone: the day before the instant it lapses.
export function lastUsableDay(expiresAt, timeZone, locale) {
  const d = parsed(expiresAt);
  if (!d) return "";
  return formatter({ day: "numeric", month: "short", year: "numeric" }, timeZone, locale).format(new Date(d.getTime() - 1));
}

// One package in words: what is left of it and until when, or that it expired or is used up.
export function lotText(lot, timeZone, locale) {
  const what = lot.sessions + " × " + (SOURCE_LABELS[lot.source] || lot.source);
  if (lot.state === "expired") {
    return what + " · expired " + lastUsableDay(lot.expires_at, timeZone, locale) +
      (lot.expired ? " with " + plural(lot.expired, "session", "sessions") + " unused" : "");
  }
  const until = lot.expires_at ? "usable until " + lastUsableDay(lot.expires_at, timeZone, locale) +
    " (" + zoneName(lot.expires_at, timeZone, locale) + ")" : "no expiry";
  if (lot.state === "used_up") return what + " · used up";
  return what + " · " + lot.remaining + " left · " + until;
}
