// The history chart: power of each appliance over 1 d, 7 d, 30 d or 1 y, from
// /logs/historical-data (at most 2,000 points per appliance), with drag-to-zoom and hover values.

import { getJSON } from "./api.js";
import { localTime, watts } from "./format.js";
import { axis, chartHeight, followWidth, onSchemeChange, seriesColor } from "./theme.js";

const DAY_SECONDS = 86400;
// A step this many times the usual one, and longer than MIN_GAP_SECONDS, is a gap (no readings:
// the service was down), drawn as a break. The floor keeps coarse history (a CSV log imported at
// one row per 10 minutes) a line, even where live readings a second apart set the usual step.
const GAP_FACTOR = 3;
const MIN_GAP_SECONDS = 900;

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

// [xs, ys] of one appliance with a null wherever readings stopped, so the line breaks there.
function withGaps(points) {
  const steps = points.slice(1).map((p, i) => p[0] - points[i][0]);
  const gap = Math.max(GAP_FACTOR * median(steps), MIN_GAP_SECONDS);
  const xs = [];
  const ys = [];
  points.forEach(([x, y], i) => {
    if (i > 0 && x - points[i - 1][0] > gap) {
      xs.push(points[i - 1][0] + 1);
      ys.push(null);
    }
    xs.push(x);
    ys.push(y);
  });
  return [xs, ys];
}

export class HistoryChart {
  constructor(element, resetButton, appliances) {
    this.element = element;
    this.resetButton = resetButton;
    this.appliances = appliances;
    this.data = null;
    this.plot = null;
    this.days = 1;
    resetButton.addEventListener("click", () => this.zoomOut());
    element.addEventListener("dblclick", () => this.zoomOut()); // after uPlot's own reset
    followWidth(element, (width) => {
      this.width = width;
      this.plot ? this.plot.setSize({ width, height: chartHeight() }) : this.draw();
    });
    onSchemeChange(() => this.draw());
  }

  async show(days) {
    this.days = days;
    this.element.dataset.state = "loading";
    this.element.dataset.range = String(days);
    // The API counts local days, today included; "1 d" means the last 24 hours, so one more
    // day is asked for and cut to the window.
    const body = await getJSON(`/logs/historical-data?days=${days + 1}`);
    if (this.days !== days) return; // another range was chosen meanwhile
    this.end = Date.now() / 1000;
    this.start = this.end - days * DAY_SECONDS;
    this.data = this.align(body.data);
    this.draw();
  }

  align(readings) {
    const byAppliance = new Map(this.appliances.map((a) => [a.id, []]));
    for (const r of readings) {
      const at = Date.parse(r.timestamp_utc) / 1000;
      if (at >= this.start) byAppliance.get(r.applianceId)?.push([at, r.watts]);
    }
    const tables = [...byAppliance.values()].map((points) => withGaps(points));
    return uPlot.join(tables);
  }

  zoomOut() {
    if (!this.plot) return;
    this.plot.setScale("x", { min: this.start, max: this.end });
    this.resetButton.hidden = true;
  }

  draw() {
    if (!this.width || !this.data || !window.uPlot) return;
    this.plot?.destroy();
    this.plot = null;
    const points = this.data[0].length;
    this.element.dataset.points = String(points);
    this.element.dataset.from = String(this.data[0][0] ?? "");
    this.element.dataset.to = String(this.data[0][points - 1] ?? "");
    if (points === 0) {
      this.element.dataset.state = "nodata";
      return;
    }
    this.plot = new uPlot({
      width: this.width,
      height: chartHeight(),
      cursor: { drag: { x: true, y: false }, focus: { prox: 16 } },
      focus: { alpha: 0.4 },
      scales: { x: { time: true } },
      axes: [axis(), axis({ values: (u, ticks) => ticks.map((t) => `${t} W`), size: 64 })],
      series: [
        { label: "Time", value: (u, x) => (x === null ? "—" : localTime(x)) },
        ...this.appliances.map((a, i) => ({
          label: a.name,
          stroke: seriesColor(i),
          width: 1.5,
          points: { show: false },
          value: (u, v) => (v === null || v === undefined ? "—" : `${watts(v)} W`),
        })),
      ],
      hooks: {
        // The whole window, even where it has no readings yet; zooming narrows it.
        ready: [(u) => u.setScale("x", { min: this.start, max: this.end })],
        setSelect: [(u) => {
          if (u.select.width > 0) this.resetButton.hidden = false;
        }],
      },
    }, this.data, this.element);
    this.element.dataset.state = "drawn";
  }
}
