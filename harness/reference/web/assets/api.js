// REST client. Mirrors the real client's transport (WEB_UI.md §6, REST.md §12): base "/api" on the page
// origin (the reference server also serves the API there), Bearer auth, credentials "omit", a 7 s
// timeout, JSON responses capped at 64 KiB, error bodies read for {"error": code}.

const API_BASE = "/api";
const DEFAULT_TIMEOUT_MS = 7000;
const MEDIA_TIMEOUT_MS = 30000;
const MAX_JSON_BYTES = 64 * 1024;

// Used when an error response has no JSON body (REST.md §1.5).
const CODE_BY_STATUS = { 400: "invalid_request", 401: "invalid_credentials", 403: "forbidden",
  404: "not_found", 408: "request_timeout", 413: "payload_too_large", 429: "rate_limited" };

export class ApiError extends Error {
  constructor(code, status) {
    super(`${code} (${status})`);
    this.code = code;
    this.status = status;
  }
}

function codeForStatus(status) {
  if (CODE_BY_STATUS[status]) return CODE_BY_STATUS[status];
  return status >= 500 ? "internal_error" : "unexpected_error";
}

/**
 * One HTTP call. `json` is sent as a JSON body; `raw` (Blob/File) as a raw body with `contentType`.
 * Resolves to the parsed JSON body, or null for an empty (204) body. Rejects with ApiError.
 */
export async function request(method, path, { token, json, raw, contentType, timeoutMs } = {}) {
  const headers = {};
  let body;
  if (token) headers.authorization = `Bearer ${token}`;
  if (json !== undefined) {
    headers["content-type"] = "application/json";
    body = JSON.stringify(json);
  } else if (raw !== undefined) {
    if (contentType) headers["content-type"] = contentType;
    body = raw;
  }
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs || DEFAULT_TIMEOUT_MS);
  let response;
  let text;
  try {
    response = await fetch(API_BASE + path, { method, headers, body, credentials: "omit", signal: controller.signal });
    text = await response.text();
  } catch (err) {
    throw new ApiError(err && err.name === "AbortError" ? "request_timeout" : "network_error", 0);
  } finally {
    clearTimeout(timer);
  }
  let parsed = null;
  if (text.length > 0) {
    if (new TextEncoder().encode(text).length > MAX_JSON_BYTES) throw new ApiError("oversized_response", response.status);
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined; // not JSON (framework errors are plain text)
    }
  }
  if (!response.ok) {
    const code = parsed && typeof parsed.error === "string" ? parsed.error : codeForStatus(response.status);
    throw new ApiError(code, response.status);
  }
  if (parsed === undefined) throw new ApiError("invalid_response", response.status);
  return parsed;
}

const enc = encodeURIComponent;

/** Every route the reference client uses; `t` is the access token. */
export const api = {
  register: (username, password) => request("POST", "/auth/register", { json: { username, password } }),
  login: (username, password) => request("POST", "/auth/login", { json: { username, password } }),
  refresh: (refreshToken) => request("POST", "/auth/refresh", { json: { refresh_token: refreshToken } }),
  logout: (refreshToken) => request("POST", "/auth/logout", { json: { refresh_token: refreshToken } }),
  me: (t) => request("GET", "/auth/me", { token: t }),
  updateProfile: (t, username, aboutMarkdown) =>
    request("PATCH", "/users/me/profile", { token: t, json: { username, about_markdown: aboutMarkdown } }),
  uploadProfileMedia: (t, kind, file) =>
    request("POST", `/users/me/profile/${kind}`, {
      token: t, raw: file, contentType: file.type && file.type.length <= 128 ? file.type : undefined,
      timeoutMs: MEDIA_TIMEOUT_MS,
    }),
  lookupUsers: (t, ids) => request("POST", "/users/lookup", { token: t, json: { user_ids: ids } }),
  avatarUrl: (userId, version) => `${API_BASE}/users/${enc(userId)}/avatar?v=${version}`,
  bannerUrl: (userId, version) => `${API_BASE}/users/${enc(userId)}/banner?v=${version}`,

  friends: (t) => request("GET", "/friends", { token: t }),
  friendRequests: (t) => request("GET", "/friends/requests", { token: t }),
  sendFriendRequest: (t, userId) => request("POST", "/friends/requests", { token: t, json: { recipient_user_id: userId } }),
  acceptFriendRequest: (t, id) => request("POST", `/friends/requests/${enc(id)}/accept`, { token: t }),
  deleteFriendRequest: (t, id) => request("DELETE", `/friends/requests/${enc(id)}`, { token: t }),
  removeFriend: (t, userId) => request("DELETE", `/friends/${enc(userId)}`, { token: t }),

  guilds: (t) => request("GET", "/guilds", { token: t }),
  createGuild: (t, name, visibility) => request("POST", "/guilds", { token: t, json: { name, visibility } }),
  updateGuild: (t, g, name, visibility) => request("PATCH", `/guilds/${enc(g)}`, { token: t, json: { name, visibility } }),
  publicGuilds: (t, q) =>
    request("GET", `/guilds/public?${q ? `q=${enc(q)}&` : ""}limit=20`, { token: t }),
  joinGuild: (t, g) => request("POST", `/guilds/${enc(g)}/join`, { token: t }),
  members: (t, g, cursor) =>
    request("GET", `/guilds/${enc(g)}/members?limit=50${cursor ? `&cursor=${enc(cursor)}` : ""}`, { token: t }),
  roles: (t, g) => request("GET", `/guilds/${enc(g)}/roles`, { token: t }),
  channels: (t, g) => request("GET", `/guilds/${enc(g)}/channels`, { token: t }),
  createChannel: (t, g, name, kind) => request("POST", `/guilds/${enc(g)}/channels`, { token: t, json: { name, kind } }),
  permissionsSelf: (t, g, c) => request("GET", `/guilds/${enc(g)}/channels/${enc(c)}/permissions/self`, { token: t }),
  messages: (t, g, c, before) =>
    request("GET", `/guilds/${enc(g)}/channels/${enc(c)}/messages?limit=50${before ? `&before=${enc(before)}` : ""}`, { token: t }),
  sendMessage: (t, g, c, content) => request("POST", `/guilds/${enc(g)}/channels/${enc(c)}/messages`, { token: t, json: { content } }),
  editMessage: (t, g, c, m, content) =>
    request("PATCH", `/guilds/${enc(g)}/channels/${enc(c)}/messages/${enc(m)}`, { token: t, json: { content } }),
  deleteMessage: (t, g, c, m) => request("DELETE", `/guilds/${enc(g)}/channels/${enc(c)}/messages/${enc(m)}`, { token: t }),
  addReaction: (t, g, c, m, emoji) =>
    request("POST", `/guilds/${enc(g)}/channels/${enc(c)}/messages/${enc(m)}/reactions/${enc(emoji)}`, { token: t }),
  removeReaction: (t, g, c, m, emoji) =>
    request("DELETE", `/guilds/${enc(g)}/channels/${enc(c)}/messages/${enc(m)}/reactions/${enc(emoji)}`, { token: t }),
};

/** User-facing text for an API failure inside the app shell (WEB_UI.md §2 "Floating alerts"). */
export function describeError(err) {
  if (!(err instanceof ApiError)) return "Unexpected error. Please retry.";
  switch (err.code) {
    case "network_error": return "Cannot reach server. Verify API origin and TLS setup.";
    case "request_timeout": return "Request timed out. Please retry.";
    case "forbidden": return "Permission denied for this action.";
    case "not_found": return "Requested resource was not found.";
    case "rate_limited": return "Too many requests. Please wait and retry.";
    case "guild_creation_limit_reached": return "Guild creation limit reached for this account.";
    case "directory_join_user_banned": return "You are banned from this workspace.";
    case "directory_join_ip_banned": return "Joining is blocked from this network.";
    default: return `Request failed (${err.code}).`;
  }
}

/** Login-page error text (WEB_UI.md §1 "Error texts"). */
export function describeAuthError(err) {
  if (!(err instanceof ApiError)) return "Unexpected error. Please retry.";
  switch (err.code) {
    case "invalid_credentials": return "Invalid credentials.";
    case "rate_limited": return "Too many auth requests. Please wait and retry.";
    case "network_error": return "Cannot reach server. Verify API origin and TLS setup.";
    case "captcha_failed": return "Captcha verification failed. Please retry.";
    default: return "Auth failed. Please retry.";
  }
}
