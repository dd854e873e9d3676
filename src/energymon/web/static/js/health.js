// The health banner: shown, in words, whenever /health is not "ok".

const TITLES = {
  degraded: "Degraded: energymon records, but not everything works",
  unhealthy: "Unhealthy: energymon cannot record",
  unreachable: "Cannot reach energymon",
};

export function showHealth(banner, report) {
  if (report.status === "ok") {
    banner.hidden = true;
    banner.replaceChildren();
    return;
  }
  banner.dataset.status = report.status;
  const title = document.createElement("strong");
  title.textContent = TITLES[report.status] ?? `Status: ${report.status}`;
  const reasons = document.createElement("ul");
  reasons.append(...(report.reasons ?? []).map((reason) => {
    const item = document.createElement("li");
    item.textContent = reason;
    return item;
  }));
  banner.replaceChildren(title, reasons);
  banner.hidden = false;
}

export function showUnreachable(banner, error) {
  showHealth(banner, { status: "unreachable", reasons: [String(error.message ?? error)] });
}
