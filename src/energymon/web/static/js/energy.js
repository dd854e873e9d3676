// Energy: today, this week and this month per appliance and in total (/energy/summary), and
// the last 30 days as bars (daily_stats of /logs/historical-data).

import { getJSON } from "./api.js";
import { day, dayAt, kwh, money, number } from "./format.js";
import { axis, chartHeight, cssVar, followWidth, onSchemeChange } from "./theme.js";

const PERIODS = ["day", "week", "month"];
const DAY_SECONDS = 86400;
export const BAR_DAYS = 30;

function cell(summary) {
  const td = document.createElement("td");
  td.dataset.kwh = summary.energy_kwh; // the API's numbers as they came, for checks
  td.dataset.cost = summary.cost;
  const energy = document.createElement("span");
  energy.className = "kwh";
  energy.textContent = number(summary.energy_kwh, 3); // the column head says kWh
  const cost = document.createElement("span");
  cost.className = "cost";
  cost.textContent = money(summary.cost, summary.currency);
  td.append(energy, cost);
  if (summary.energy_out_kwh > 0) {
    // Current flowed both ways (a battery, a charger): what went in and out, besides the net.
    const flow = document.createElement("span");
    flow.className = "flow";
    flow.textContent = `in ${number(summary.energy_in_kwh, 3)} · out ${number(summary.energy_out_kwh, 3)}`;
    td.append(flow);
  }
  return td;
}

export async function showSummary(tbody, appliances) {
  const rows = [...appliances.map((a) => ({ id: a.id, name: a.name })), { id: null, name: "Total" }];
  const summaries = await Promise.all(rows.flatMap((row) => PERIODS.map((period) => {
    const which = row.id === null ? "" : `&applianceId=${row.id}`;
    return getJSON(`/energy/summary?period=${period}${which}`);
  })));
  tbody.replaceChildren(...rows.map((row, index) => {
    const tr = document.createElement("tr");
    tr.dataset.applianceId = row.id ?? "total";
    if (row.id === null) tr.className = "total";
    const name = document.createElement("th");
    name.scope = "row";
    name.textContent = row.name;
    tr.append(name, ...summaries.slice(index * 3, index * 3 + 3).map(cell));
    return tr;
  }));
}

// Local midnight of a service day, as epoch seconds in this browser's zone.
function dayStart(isoDate) {
  const [y, m, d] = isoDate.split("-").map(Number);
  return new Date(y, m - 1, d).getTime() / 1000;
}

export class DailyBars {
  constructor(element, table) {
    this.element = element;
    this.table = table;
    this.days = [];
    this.currency = "";
    this.plot = null;
    followWidth(element, (width) => {
      this.width = width;
      this.plot ? this.plot.setSize({ width, height: chartHeight() }) : this.draw();
    });
    onSchemeChange(() => this.draw());
  }

  show(dailyStats, currency) {
    this.days = dailyStats;
    this.currency = currency;
    this.draw();
    this.table.replaceChildren(...[...dailyStats].reverse().map((stats) => {
      const tr = document.createElement("tr");
      const th = document.createElement("th");
      th.scope = "row";
      th.textContent = day(stats.date);
      const energy = document.createElement("td");
      energy.textContent = kwh(stats.energy_wh / 1000);
      const cost = document.createElement("td");
      cost.textContent = money(stats.cost, currency);
      tr.append(th, energy, cost);
      return tr;
    }));
  }

  draw() {
    if (!this.width || !window.uPlot) return;
    this.plot?.destroy();
    this.plot = null;
    if (this.days.length === 0) {
      this.element.dataset.state = "nodata";
      return;
    }
    const xs = this.days.map((d) => dayStart(d.date) + DAY_SECONDS / 2);
    const kwhs = this.days.map((d) => d.energy_wh / 1000);
    // Small DC loads make Wh a day; the axis says Wh until a day reaches a kWh.
    const inWh = Math.max(...kwhs) < 1;
    const ys = inWh ? kwhs.map((v) => v * 1000) : kwhs;
    const unit = inWh ? "Wh" : "kWh";
    const costs = new Map(this.days.map((d, i) => [xs[i], d.cost]));
    const today = new Date();
    const end = new Date(today.getFullYear(), today.getMonth(), today.getDate() + 1).getTime() / 1000;
    const bar = cssVar("--bar");
    this.plot = new uPlot({
      width: this.width,
      height: chartHeight(),
      cursor: { drag: { x: false, y: false } },
      scales: {
        x: { time: true, range: () => [end - BAR_DAYS * DAY_SECONDS, end] },
        y: { range: (u, min, max) => [0, max > 0 ? max * 1.1 : 1] }, // bars stand on zero
      },
      axes: [axis(), axis({ values: (u, ticks) => ticks.map((t) => `${number(t, t && Math.abs(t) < 1 ? 2 : t && Math.abs(t) < 10 ? 1 : 0)} ${unit}`), size: 80 })],
      series: [
        { label: "Day", value: (u, x) => (x === null ? "—" : dayAt(x)) },
        {
          label: "Energy",
          stroke: bar,
          fill: bar,
          paths: uPlot.paths.bars({ size: [0.7, 40] }),
          points: { show: false },
          value: (u, v, si, i) => (v === null ? "—" : `${kwh(kwhs[i])} · ${money(costs.get(u.data[0][i]) ?? 0, this.currency)}`),
        },
      ],
    }, [xs, ys], this.element);
    this.element.dataset.state = "drawn";
    this.element.dataset.points = String(xs.length);
  }
}
