// Session persistence, byte-compatible with the real client (WEB_UI.md §1 "Session storage"):
// sessionStorage key `filament.auth.session.v1` = {"accessToken","refreshToken","expiresAtUnix"}.
// sessionStorage is per tab, so the harness seeds it with an init script when it skips the login form.

export const SESSION_KEY = "filament.auth.session.v1";
export const WORKSPACE_CACHE_KEY = "filament.workspace.cache.v1";

const MAX_RAW_CHARS = 16384;
const TOKEN_RE = /^[\x21-\x7E]{32,4096}$/; // printable ASCII, 32..4096 chars
const EXPIRY_SKEW_SECS = 15; // a session counts as expired 15 s before expiresAtUnix

export function nowUnix() {
  return Math.floor(Date.now() / 1000);
}

/** The stored session, or null when absent or malformed (malformed values are treated as logged out). */
export function loadSession() {
  let raw;
  try {
    raw = window.sessionStorage.getItem(SESSION_KEY);
  } catch {
    return null;
  }
  if (!raw || raw.length > MAX_RAW_CHARS) return null;
  let parsed;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return null;
  }
  if (!parsed || typeof parsed !== "object") return null;
  const { accessToken, refreshToken, expiresAtUnix } = parsed;
  if (!Number.isInteger(expiresAtUnix) || expiresAtUnix <= 0) return null;
  if (typeof accessToken !== "string" || !TOKEN_RE.test(accessToken)) return null;
  if (typeof refreshToken !== "string" || !TOKEN_RE.test(refreshToken)) return null;
  return { accessToken, refreshToken, expiresAtUnix };
}

export function isExpired(session) {
  return !session || session.expiresAtUnix <= nowUnix() + EXPIRY_SKEW_SECS;
}

/** The stored session if it exists and is not expired. */
export function activeSession() {
  const session = loadSession();
  return session && !isExpired(session) ? session : null;
}

/** Store the AuthResponse of /auth/login or /auth/refresh; returns the session object. */
export function saveAuthResponse(auth) {
  const session = {
    accessToken: auth.access_token,
    refreshToken: auth.refresh_token,
    expiresAtUnix: nowUnix() + auth.expires_in_secs,
  };
  window.sessionStorage.setItem(SESSION_KEY, JSON.stringify(session));
  return session;
}

export function clearSession() {
  try {
    window.sessionStorage.removeItem(SESSION_KEY);
    window.localStorage.removeItem(WORKSPACE_CACHE_KEY);
  } catch {
    // storage disabled: nothing to clear
  }
}
