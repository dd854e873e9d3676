// Live cards: one per appliance, filled from /energy at once, then from the event stream.

import { getJSON } from "./api.js";
import { ago, epochSeconds, number, watts } from "./format.js";

const STALE_SECONDS = 15; // no reading for this long: say so, whatever the last status was
const RECONNECT_MAX_SECONDS = 30;

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

class Card {
  constructor(appliance) {
    this.id = appliance.id;
    this.status = appliance.status; // "starting" | "ok" | "offline", as the service says
    this.error = appliance.last_error;
    this.reading = null;
    this.root = element("article", "card");
    this.root.dataset.applianceId = appliance.id;
    this.root.append(element("h3", "", appliance.name));
    const big = element("p", "watts");
    this.watts = element("span", "value", "—");
    big.append(this.watts, " ", element("span", "unit", "W"));
    const details = element("dl");
    this.volts = element("dd", "volts", "—");
    this.amps = element("dd", "amps", "—");
    details.append(element("dt", "", "Voltage"), this.volts, element("dt", "", "Current"), this.amps);
    const status = element("p", "status");
    this.badge = element("span", "badge");
    this.age = element("span", "age");
    status.append(this.badge, " ", this.age);
    this.root.append(big, details, status);
    this.render();
  }

  show(reading) {
    this.reading = reading;
    this.at = epochSeconds(reading.timestamp_utc);
    this.root.dataset.timestamp = reading.timestamp_utc;
    this.watts.textContent = watts(reading.watts);
    this.volts.textContent = reading.volts === null ? "—" : `${number(reading.volts, 2)} V`;
    this.amps.textContent = reading.amps === null ? "—" : `${number(reading.amps, 3)} A`;
    if (this.status !== "offline") this.status = "ok";
    this.render();
  }

  setStatus(status, error) {
    this.status = status;
    this.error = error;
    this.render();
  }

  // Status in words (and a symbol), never by colour alone.
  render() {
    const age = this.reading ? Date.now() / 1000 - this.at : null;
    let state = this.status;
    let words;
    if (state === "offline") {
      words = `✕ Offline: ${this.error || "no response"}`;
    } else if (!this.reading || state === "starting") {
      state = "starting";
      words = "… Waiting for the first reading";
    } else if (age > STALE_SECONDS) {
      state = "stale";
      words = "! No new reading";
    } else {
      words = "✓ OK";
    }
    this.root.dataset.status = state;
    this.badge.textContent = words;
    this.age.textContent = age === null ? "" : `· updated ${ago(Math.max(0, age))}`;
  }
}

export class LiveCards {
  constructor(container, connection) {
    this.container = container;
    this.connection = connection;
    this.cards = new Map();
    this.firstValueSeen = false;
    this.retrySeconds = 1;
  }

  build(appliances) {
    this.container.replaceChildren();
    for (const appliance of appliances) {
      const card = new Card(appliance);
      this.cards.set(appliance.id, card);
      this.container.append(card.root);
    }
    setInterval(() => this.cards.forEach((card) => card.render()), 1000);
  }

  show(reading) {
    const card = this.cards.get(reading.applianceId);
    if (!card) return;
    card.show(reading);
    if (!this.firstValueSeen) {
      this.firstValueSeen = true;
      performance.mark("first-live-value"); // read by the page benchmark
    }
  }

  // Statuses from /health (offline sensors and their reasons).
  applyHealth(appliances) {
    for (const appliance of appliances) {
      this.cards.get(appliance.id)?.setStatus(appliance.status, appliance.last_error);
    }
  }

  setConnection(state, words) {
    this.connection.dataset.state = state;
    this.connection.textContent = words;
  }

  // The event stream. The browser reconnects by itself after a network error; when the server
  // refused the stream (a restart, a changed key) the page reconnects, waiting longer each time.
  connect() {
    const source = new EventSource("/energy/stream");
    source.onopen = () => {
      this.retrySeconds = 1;
      this.setConnection("live", "Live");
    };
    source.onmessage = (event) => this.show(JSON.parse(event.data));
    source.onerror = () => {
      if (source.readyState !== EventSource.CLOSED) {
        this.setConnection("reconnecting", "Reconnecting…");
        return;
      }
      source.close();
      const wait = this.retrySeconds;
      this.retrySeconds = Math.min(this.retrySeconds * 2, RECONNECT_MAX_SECONDS);
      this.setConnection("reconnecting", `Disconnected; retrying in ${wait} s`);
      setTimeout(async () => {
        try {
          await getJSON("/appliances"); // a 401 here sends the browser to the sign-in page
        } catch {
          // still down: the stream's own error brings us back here
        }
        this.connect();
      }, wait * 1000);
    };
  }
}
