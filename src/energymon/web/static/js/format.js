// Numbers and times as the page shows them: units always written out, local time.

const locale = undefined; // the browser's

export function number(value, digits) {
  if (value === null || value === undefined || Number.isNaN(value)) return "—";
  return value.toLocaleString(locale, { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

// Watts with a precision that suits the size: 0.052 W, 12.3 W, 1234 W.
export function watts(value) {
  if (value === null || value === undefined) return "—";
  const size = Math.abs(value);
  return number(value, size >= 1000 ? 0 : size >= 10 ? 1 : size >= 1 ? 2 : 3);
}

export function kwh(value) {
  return `${number(value, value >= 100 ? 1 : 3)} kWh`;
}

const currencies = new Map();
export function money(value, currency) {
  if (!currencies.has(currency)) {
    let format;
    try {
      format = new Intl.NumberFormat(locale, { style: "currency", currency });
    } catch {
      format = { format: (v) => `${number(v, 2)} ${currency}` }; // not an ISO 4217 code
    }
    currencies.set(currency, format);
  }
  return currencies.get(currency).format(value);
}

export function ago(seconds) {
  if (seconds < 2) return "just now";
  if (seconds < 120) return `${Math.round(seconds)} s ago`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min ago`;
  return `${Math.round(seconds / 3600)} h ago`;
}

const dateTime = new Intl.DateTimeFormat(locale, {
  year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", second: "2-digit",
});
export function localTime(epochSeconds) {
  return dateTime.format(new Date(epochSeconds * 1000));
}

const shortDate = new Intl.DateTimeFormat(locale, { weekday: "short", month: "short", day: "numeric" });
// A calendar day of the service ("2024-12-04") as a date in words, without a zone shift.
export function day(isoDate) {
  const [y, m, d] = isoDate.split("-").map(Number);
  return shortDate.format(new Date(y, m - 1, d));
}

export function dayAt(epochSeconds) {
  return shortDate.format(new Date(epochSeconds * 1000));
}

export function epochSeconds(isoInstant) {
  return Date.parse(isoInstant) / 1000;
}
