import assert from "node:assert/strict";
import { test } from "node:test";

import { barRows, columns, sparkline } from "../../chalicelib/web/charts.js";

test("a sparkline spans its width, puts 100% at the top, and breaks at a gap", () => {
  const g = sparkline([0, 1, null, 0.5], { width: 100, height: 20, pad: 0 });
  assert.deepEqual(g.points.map((p) => [p.x, p.y]), [[0, 20], [33.3, 0], [100, 10]]);
  assert.equal(g.d, "M0 20 L33.3 0 M100 10");
  assert.equal(sparkline([0.5], { width: 100, height: 20, pad: 0 }).points[0].x, 50);
  assert.equal(sparkline([], {}).d, "");
  assert.equal(sparkline([2, -1], { width: 10, height: 10, pad: 0 }).d, "M0 0 L10 10"); // clamped
});

test("bars are as long as their ratio, the threshold sits at its ratio, and flags are kept", () => {
  const g = barRows([{ label: "A", value: 0.5 }, { label: "B", value: null }, { label: "C", value: 0.25, flagged: true }],
                    { width: 300, labelWidth: 100, rowHeight: 20, threshold: 0.15 });
  assert.deepEqual(g.rows.map((r) => [r.x, r.y, r.width, r.flagged]), [[100, 0, 100, false], [100, 20, 0, false],
                                                                        [100, 40, 50, true]]);
  assert.equal(g.threshold, 130);
  assert.equal(g.height, 60);
  assert.equal(barRows([], { threshold: null }).threshold, null);
});

test("columns stand on a baseline and reach up by their ratio", () => {
  const g = columns([1, 0.5, null], { width: 300, height: 120, gap: 0, bottom: 20 });
  assert.equal(g.baseline, 100);
  assert.deepEqual(g.bars.map((b) => [b.x, b.width, b.y, b.height]), [[0, 100, 0, 100], [100, 100, 50, 50],
                                                                       [200, 100, 100, 0]]);
});
