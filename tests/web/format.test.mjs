// The pages' pure helpers under Node's own test runner (`make test` runs them: node --test).
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  addDays, balanceClass, dayIn, formatTime, formatWhen, percent, query, reasonsText, statusText, windows, zoneName,
  zonedInstant,
} from "../../chalicelib/web/format.js";

test("a balance is low at or below the threshold the API gives, exhausted at or below zero", () => {
  assert.equal(balanceClass(3, 3), "low");
  assert.equal(balanceClass(4, 3), "");
  assert.equal(balanceClass(1, 0), "");
  assert.equal(balanceClass(0, 0), "exhausted");
  assert.equal(balanceClass(-2, 5), "exhausted");
  assert.equal(balanceClass(5, 7), "low"); // not a fixed 2: the enrollment's own threshold
  assert.equal(balanceClass(1, null), ""); // no threshold known: nothing called low
  assert.equal(balanceClass(null, 2), ""); // not enrolled
});

test("every date and time shown names its zone, and is the zone's wall clock", () => {
  const at = "2026-12-01T16:00:00Z";
  assert.equal(formatWhen(at, "Europe/Berlin", "en-GB"), "Tue, 1 Dec 2026, 17:00 CET");
  assert.equal(formatWhen(at, "Asia/Tokyo", "en-GB"), "Wed, 2 Dec 2026, 01:00 GMT+9");
  assert.equal(formatTime(at, "America/New_York", "en-GB"), "11:00");
  assert.equal(zoneName("2026-07-01T12:00:00Z", "Europe/Berlin", "en-GB"), "CEST");
  assert.match(formatWhen(at, "Not/AZone", "en-GB"), /UTC$/); // an unknown zone is shown as UTC, and says so
  assert.equal(formatWhen("garbage", "UTC"), "garbage");
});

test("a zone's wall time becomes the instant it names, across clock changes", () => {
  assert.equal(zonedInstant("2026-12-01T17:00", "Europe/Berlin"), "2026-12-01T16:00:00.000Z");
  assert.equal(zonedInstant("2026-07-01T17:00", "Europe/Berlin"), "2026-07-01T15:00:00.000Z");
  assert.equal(zonedInstant("2026-12-01T17:00", "Asia/Tokyo"), "2026-12-01T08:00:00.000Z");
  assert.equal(zonedInstant("2026-11-01T01:30", "America/New_York").slice(0, 13), "2026-11-01T05"); // repeated hour
  const skipped = zonedInstant("2026-03-29T02:30", "Europe/Berlin"); // does not exist in Berlin
  assert.ok(["2026-03-29T00:30:00.000Z", "2026-03-29T01:30:00.000Z"].includes(skipped), skipped);
  assert.equal(zonedInstant("2026-12-01", "UTC"), null);
});

test("days are counted in the zone, and report windows end on the last day", () => {
  assert.equal(dayIn("2026-12-01T23:30:00Z", "Europe/Berlin"), "2026-12-02");
  assert.equal(dayIn("2026-12-01T23:30:00Z", "America/Los_Angeles"), "2026-12-01");
  assert.equal(addDays("2026-03-01", -1), "2026-02-28");
  assert.equal(addDays("2024-02-28", 1), "2024-02-29");
  assert.deepEqual(windows("2026-12-01", 3, 7), [
    { from: "2026-11-11", to: "2026-11-17" },
    { from: "2026-11-18", to: "2026-11-24" },
    { from: "2026-11-25", to: "2026-12-01" },
  ]);
});

test("labels, percentages and query strings", () => {
  assert.equal(statusText("unmarked", false), "not marked");
  assert.equal(statusText("no_show", true), "no-show (held)");
  assert.equal(percent(0.154), "15%");
  assert.equal(percent(null), "—");
  assert.equal(query({ from: "2026-01-01", to: "", next: null, limit: 5 }), "?from=2026-01-01&limit=5");
  assert.equal(query({}), "");
  assert.equal(query({ q: "Zoë & co" }), "?q=Zo%C3%AB+%26+co");
  assert.equal(reasonsText(["declining", "no_show_streak"]), "attendance is falling; missed several sessions in a row");
});

test("a package says what is left of it and the last day it can be used, in the schedule's zone", async () => {
  const { lotText, lastUsableDay } = await import("../../chalicelib/web/format.js");
  const lot = { sessions: 10, remaining: 9, source: "top_up", state: "active", expires_at: "2027-05-31T22:00:00.000Z",
                expired: 0 };
  assert.equal(lastUsableDay(lot.expires_at, "Europe/Berlin", "en-GB"), "31 May 2027");
  assert.equal(lotText(lot, "Europe/Berlin", "en-GB"), "10 × top-up · 9 left · usable until 31 May 2027 (CEST)");
  assert.equal(lotText({ ...lot, expires_at: null }, "UTC", "en-GB"), "10 × top-up · 9 left · no expiry");
  assert.equal(lotText({ ...lot, remaining: 0, state: "used_up" }, "UTC", "en-GB"), "10 × top-up · used up");
  assert.equal(lotText({ ...lot, state: "expired", expired: 3, expires_at: "2027-02-28T23:00:00.000Z", source: "sale" },
                       "Europe/Berlin", "en-GB"), "10 × sale · expired 28 Feb 2027 with 3 sessions unused");
});
