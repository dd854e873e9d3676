// The dashboard: live cards, energy, history and health, all from energymon's own API.

import { every, getJSON } from "./api.js";
import { BAR_DAYS, DailyBars, showSummary } from "./energy.js";
import { showHealth, showUnreachable } from "./health.js";
import { HistoryChart } from "./history.js";
import { LiveCards } from "./live.js";
import { uplotReady } from "./theme.js";

const SUMMARY_SECONDS = 60;
const BARS_SECONDS = 600;
const HEALTH_SECONDS = 10;

const $ = (selector) => document.querySelector(selector);

async function main() {
  const banner = $("#health");
  const report = (error) => showUnreachable(banner, error);
  // The server put the appliances and their latest readings into the page: values show
  // before any request; the stream keeps them going.
  const { appliances, readings, currency } = JSON.parse($("#snapshot").textContent);
  const live = new LiveCards($("#cards"), $("#connection"));
  live.build(appliances);
  readings.forEach((reading) => live.show(reading));
  live.connect();

  every(HEALTH_SECONDS, async () => {
    const health = await getJSON("/health");
    showHealth(banner, health);
    live.applyHealth(health.appliances);
  }, report);

  await uplotReady.catch(report);
  const history = new HistoryChart($("#history-chart"), $("#zoom-reset"), appliances);
  const bars = new DailyBars($("#daily-chart"), $("#daily-table tbody"));
  every(SUMMARY_SECONDS, () => showSummary($("#energy tbody"), appliances), report);
  // Past days do not change and today's bar grows slowly: the 30 days are asked for seldom.
  every(BARS_SECONDS, async () => {
    const month = await getJSON(`/logs/historical-data?days=${BAR_DAYS}`);
    bars.show(month.daily_stats, currency);
  }, report);

  const buttons = document.querySelectorAll(".ranges button[data-days]");
  for (const button of buttons) {
    button.addEventListener("click", () => {
      const days = Number(button.dataset.days);
      buttons.forEach((b) => b.setAttribute("aria-pressed", String(b === button)));
      $("#zoom-reset").hidden = true;
      history.show(days).catch((error) => {
        $("#history-chart").dataset.state = "error";
        report(error);
      });
    });
  }
  history.show(1).catch(report);
}

main().catch((error) => showUnreachable($("#health"), error));
