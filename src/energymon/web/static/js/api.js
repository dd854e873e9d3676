// The JSON API as the page uses it: same origin, the session cookie sent by the browser.

export class HttpError extends Error {
  constructor(path, status, detail) {
    super(`${path}: ${status} ${detail}`);
    this.status = status;
    this.detail = detail;
  }
}

// The session ended (signed out elsewhere, or the key changed): back to the sign-in page.
export function signInAgain() {
  window.location.assign("/sign-in");
}

export async function getJSON(path) {
  const response = await fetch(path, { headers: { Accept: "application/json" } });
  if (response.status === 401) {
    signInAgain();
    throw new HttpError(path, 401, "signed out");
  }
  const body = await response.json().catch(() => ({}));
  if (!response.ok && !(path === "/health" && response.status === 503)) {
    throw new HttpError(path, response.status, body.detail || response.statusText);
  }
  return body;
}

// Run `task` now and every `seconds`, never two at once; errors go to `onError`.
export function every(seconds, task, onError) {
  let running = false;
  const run = async () => {
    if (running) return;
    running = true;
    try {
      await task();
    } catch (error) {
      onError(error);
    } finally {
      running = false;
    }
  };
  run();
  return setInterval(run, seconds * 1000);
}
