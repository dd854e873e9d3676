// Colours for the charts from the style sheet's variables, so light and dark stay in one place.

const scheme = window.matchMedia("(prefers-color-scheme: dark)");

export function cssVar(name) {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
}

export function seriesColor(index) {
  return cssVar(`--series-${(index % 6) + 1}`);
}

export function axis(extra = {}) {
  const text = cssVar("--muted");
  const grid = cssVar("--grid");
  return { stroke: text, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 }, ...extra };
}

// Call `redraw` when the system switches between light and dark.
export function onSchemeChange(redraw) {
  scheme.addEventListener("change", redraw);
}

// A chart's width follows its container's; `resize(width)` is called on each change.
export function followWidth(element, resize) {
  let last = 0;
  new ResizeObserver((entries) => {
    const width = Math.floor(entries[0].contentRect.width);
    if (width > 0 && width !== last) {
      last = width;
      resize(width);
    }
  }).observe(element);
}

export function chartHeight() {
  return window.innerWidth < 600 ? 220 : 280;
}

// uPlot, once its script (loaded async beside the page's own) has run.
export const uplotReady = new Promise((resolve, reject) => {
  if (window.uPlot) {
    resolve(window.uPlot);
    return;
  }
  const script = document.getElementById("uplot");
  script.addEventListener("load", () => resolve(window.uPlot));
  script.addEventListener("error", () => reject(new Error("the chart library did not load")));
});
