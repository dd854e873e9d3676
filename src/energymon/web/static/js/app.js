// The dashboard: live cards, energy, history and health, all from energymon's own API.

import { every, getJSON } from "./api.js";
import { BAR_DAYS, DailyBars, showSummary } from "./energy.js";
import { showHealth, showUnreachable } from "./health.js";
import { HistoryChart } from "./history.js";
import { LiveCards } from "./live.js";

const SUMMARY_SECONDS = 60;
const HEALTH_SECONDS = 10;

const $ = (selector) => document.querySelector(selector);

async function main() {
  const banner = $("#health");
  const report = (error) => showUnreachable(banner, error);
  const { appliances } = await getJSON("/appliances");

  const live = new LiveCards($("#cards"), $("#connection"));
  live.build(appliances);
  live.connect();
  live.prefill().catch(report);

  every(HEALTH_SECONDS, async () => {
    const health = await getJSON("/health");
    showHealth(banner, health);
    live.applyHealth(health.appliances);
  }, report);

  const history = new HistoryChart($("#history-chart"), $("#zoom-reset"), appliances);
  const bars = new DailyBars($("#daily-chart"), $("#daily-table tbody"));
  let lastMonth = null; // the 30-day answer serves the bars and the 30 d chart range
  every(SUMMARY_SECONDS, async () => {
    const currency = await showSummary($("#energy tbody"), appliances);
    lastMonth = await getJSON(`/logs/historical-data?days=${BAR_DAYS}`);
    bars.show(lastMonth.daily_stats, currency);
  }, report);

  const buttons = document.querySelectorAll(".ranges button[data-days]");
  for (const button of buttons) {
    button.addEventListener("click", () => {
      const days = Number(button.dataset.days);
      buttons.forEach((b) => b.setAttribute("aria-pressed", String(b === button)));
      $("#zoom-reset").hidden = true;
      const cached = days === BAR_DAYS ? lastMonth : null;
      history.show(days, cached).catch((error) => {
        $("#history-chart").dataset.state = "error";
        report(error);
      });
    });
  }
  history.show(1).catch(report);
}

main().catch((error) => showUnreachable($("#health"), error));
