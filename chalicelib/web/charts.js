// The geometry of the reports' small charts, as plain numbers: the pages draw it as SVG
// (svg.js). No DOM here (tests/web/ checks the numbers).

function round(n) {
  return Math.round(n * 10) / 10;
}

// A line through ratios (0..1, or null for "no data") across `width`, 0 at the bottom:
// the points and an SVG path; a null breaks the line.
export function sparkline(values, { width = 120, height = 32, pad = 3 } = {}) {
  const n = values.length;
  const step = n > 1 ? (width - 2 * pad) / (n - 1) : 0;
  const points = [];
  let d = "";
  let pen = false;
  values.forEach((value, i) => {
    if (value === null || value === undefined || Number.isNaN(value)) {
      pen = false;
      return;
    }
    const v = Math.max(0, Math.min(1, value));
    const x = round(n > 1 ? pad + i * step : width / 2);
    const y = round(height - pad - v * (height - 2 * pad));
    points.push({ x, y, value, index: i });
    d += (pen ? " L" : (d ? " M" : "M")) + x + " " + y;
    pen = true;
  });
  return { width, height, points, d };
}

// Horizontal bars of ratios with a threshold mark: one row per item, longest bar = 100%.
export function barRows(items, { width = 320, labelWidth = 0, rowHeight = 28, threshold = null } = {}) {
  const span = width - labelWidth;
  const rows = items.map((item, i) => {
    const v = item.value === null || item.value === undefined ? null : Math.max(0, Math.min(1, item.value));
    return {
      label: item.label,
      value: item.value,
      flagged: Boolean(item.flagged),
      y: i * rowHeight,
      x: labelWidth,
      width: v === null ? 0 : round(v * span),
    };
  });
  const mark = threshold === null || threshold === undefined ? null : round(labelWidth + Math.min(1, threshold) * span);
  return { width, height: Math.max(rowHeight, items.length * rowHeight), rowHeight, rows, threshold: mark };
}

// Vertical bars of ratios over time (one per period), 100% at the top.
export function columns(values, { width = 480, height = 160, gap = 6, bottom = 20 } = {}) {
  const n = Math.max(1, values.length);
  const slot = width / n;
  const usable = height - bottom;
  return {
    width, height, baseline: usable,
    bars: values.map((value, i) => {
      const v = value === null || value === undefined ? null : Math.max(0, Math.min(1, value));
      const h = v === null ? 0 : round(v * usable);
      return { x: round(i * slot + gap / 2), width: round(slot - gap), y: round(usable - h), height: h, value, index: i };
    }),
  };
}
