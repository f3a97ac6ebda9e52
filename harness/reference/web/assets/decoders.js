// Strict decoders for gateway frames and the REST objects the client keeps in state. Like the real
// client (WEB_UI.md §5 "Unknown event types and malformed payloads"), a malformed value decodes to
// null and is dropped as a whole: no partial application. Extra fields are tolerated.

const ULID_RE = /^[0-9A-HJKMNP-TV-Z]{26}$/;
const EVENT_TYPE_RE = /^[a-z0-9_.]{1,64}$/;
const MAX_FRAME_BYTES = 64 * 1024;
const PERMISSIONS = new Set(["manage_roles", "manage_member_roles", "manage_workspace_roles",
  "manage_channel_overrides", "delete_message", "ban_member", "view_audit_log", "manage_ip_bans",
  "create_message", "publish_video", "publish_screen_share", "subscribe_streams"]);

const has = (obj, key) => Object.prototype.hasOwnProperty.call(obj, key);
export const isObject = (v) => typeof v === "object" && v !== null && !Array.isArray(v);
export const isUlid = (v) => typeof v === "string" && ULID_RE.test(v);
const isStr = (v) => typeof v === "string";
const isBool = (v) => typeof v === "boolean";
const isInt = (v, min = -Infinity) => Number.isInteger(v) && v >= min;
const isTimestamp = (v) => isInt(v, 1);
const isVisibility = (v) => v === "private" || v === "public";
// Workspace/channel names: 1..64 chars, printable ASCII or space, not blank (REST.md §8.1).
export const isValidName = (v) => isStr(v) && v.length >= 1 && v.length <= 64 && /^[\x20-\x7E]+$/.test(v) && v.trim() !== "";
const isUsername = (v) => isStr(v) && /^[A-Za-z0-9_.]{3,32}$/.test(v);

// ---------------------------------------------------------------------------------------------------
// Envelope (gateway-envelope.ts): text frame, <= 64 KiB, JSON object with own v/t/d, v === 1, t charset.

export function parseEnvelope(data) {
  if (typeof data !== "string") return null;
  if (data.length > MAX_FRAME_BYTES || new TextEncoder().encode(data).length > MAX_FRAME_BYTES) return null;
  let value;
  try {
    value = JSON.parse(data);
  } catch {
    return null;
  }
  if (!isObject(value) || !has(value, "v") || !has(value, "t") || !has(value, "d")) return null;
  if (value.v !== 1 || !isStr(value.t) || !EVENT_TYPE_RE.test(value.t)) return null;
  return { type: value.t, data: value.d };
}

// ---------------------------------------------------------------------------------------------------
// Markdown tokens (REST.md §5.3)

const BARE_TOKENS = new Set(["paragraph_start", "paragraph_end", "heading_end", "emphasis_start", "emphasis_end",
  "strong_start", "strong_end", "list_end", "list_item_start", "list_item_end", "link_end", "soft_break", "hard_break"]);
const LANGUAGE_RE = /^[A-Za-z0-9_+.-]{1,32}$/; // REST.md §5.3: the charset the client enforces

function isToken(tok) {
  if (!isObject(tok) || !isStr(tok.type)) return false;
  if (BARE_TOKENS.has(tok.type)) return true;
  switch (tok.type) {
    case "heading_start": return isInt(tok.level) && tok.level >= 1 && tok.level <= 6;
    case "list_start": return isBool(tok.ordered);
    case "link_start": return isStr(tok.href);
    case "text": return isStr(tok.text);
    case "code": return isStr(tok.code);
    case "fenced_code": return isStr(tok.code) && (tok.language === null || (isStr(tok.language) && LANGUAGE_RE.test(tok.language)));
    default: return false;
  }
}

export function decodeTokens(value) {
  return Array.isArray(value) && value.every(isToken) ? value : null;
}

// ---------------------------------------------------------------------------------------------------
// REST objects

function decodeReaction(r) {
  if (!isObject(r) || !isStr(r.emoji) || r.emoji.length === 0 || !isInt(r.count, 0)) return null;
  return { emoji: r.emoji, count: r.count, reactedByMe: r.reacted_by_me === true };
}

function decodeAttachment(a) {
  if (!isObject(a) || !isUlid(a.attachment_id) || !isStr(a.filename) || !isStr(a.mime_type) || !isInt(a.size_bytes, 0)) return null;
  return { attachmentId: a.attachment_id, filename: a.filename, mimeType: a.mime_type, sizeBytes: a.size_bytes };
}

/** MessageResponse (REST.md §5.4, GATEWAY.md §4.0). `reactions`/`attachments` default to []. */
export function decodeMessage(m) {
  if (!isObject(m)) return null;
  if (!isUlid(m.message_id) || !isUlid(m.guild_id) || !isUlid(m.channel_id) || !isUlid(m.author_id)) return null;
  if (!isStr(m.content) || !isTimestamp(m.created_at_unix)) return null;
  const tokens = decodeTokens(m.markdown_tokens);
  if (!tokens) return null;
  const reactions = (Array.isArray(m.reactions) ? m.reactions : m.reactions === undefined ? [] : null);
  const attachments = (Array.isArray(m.attachments) ? m.attachments : m.attachments === undefined ? [] : null);
  if (!reactions || !attachments) return null;
  const decodedReactions = reactions.map(decodeReaction);
  const decodedAttachments = attachments.map(decodeAttachment);
  if (decodedReactions.includes(null) || decodedAttachments.includes(null)) return null;
  return {
    messageId: m.message_id, guildId: m.guild_id, channelId: m.channel_id, authorId: m.author_id,
    content: m.content, tokens, createdAtUnix: m.created_at_unix,
    reactions: decodedReactions, attachments: decodedAttachments,
  };
}

export function decodeGuild(g) {
  if (!isObject(g) || !isUlid(g.guild_id) || !isStr(g.name) || !isVisibility(g.visibility)) return null;
  return { guildId: g.guild_id, name: g.name, visibility: g.visibility };
}

export function decodeChannel(c) {
  if (!isObject(c) || !isUlid(c.channel_id) || !isStr(c.name) || (c.kind !== "text" && c.kind !== "voice")) return null;
  return { channelId: c.channel_id, name: c.name, kind: c.kind };
}

export function decodeProfile(p) {
  if (!isObject(p) || !isUlid(p.user_id) || !isStr(p.username)) return null;
  return {
    userId: p.user_id, username: p.username,
    aboutMarkdown: isStr(p.about_markdown) ? p.about_markdown : "",
    aboutTokens: decodeTokens(p.about_markdown_tokens) || [],
    avatarVersion: isInt(p.avatar_version, 0) ? p.avatar_version : 0,
    bannerVersion: isInt(p.banner_version, 0) ? p.banner_version : 0,
  };
}

export function decodeRole(r) {
  if (!isObject(r) || !isUlid(r.role_id) || !isStr(r.name) || !isInt(r.position, 0) || !Array.isArray(r.permissions)) return null;
  const color = isStr(r.color_hex) && /^#[0-9A-Fa-f]{6}$/.test(r.color_hex) ? r.color_hex : null;
  return { roleId: r.role_id, name: r.name, position: r.position, isSystem: r.is_system === true,
    permissions: r.permissions.filter((p) => PERMISSIONS.has(p)), colorHex: color };
}

export function decodePermissionSnapshot(p) {
  if (!isObject(p) || !isStr(p.role) || !Array.isArray(p.permissions)) return null;
  return { role: p.role, permissions: p.permissions.filter((x) => PERMISSIONS.has(x)) };
}

export function decodeFriendRequest(r) {
  if (!isObject(r) || !isUlid(r.request_id) || !isUlid(r.sender_user_id) || !isUlid(r.recipient_user_id)) return null;
  if (!isStr(r.sender_username) || !isStr(r.recipient_username) || !isTimestamp(r.created_at_unix)) return null;
  return { requestId: r.request_id, senderId: r.sender_user_id, senderUsername: r.sender_username,
    recipientId: r.recipient_user_id, recipientUsername: r.recipient_username, createdAtUnix: r.created_at_unix };
}

export function decodeFriend(f) {
  if (!isObject(f) || !isUlid(f.user_id) || !isStr(f.username) || !isInt(f.created_at_unix, 0)) return null;
  return { userId: f.user_id, username: f.username };
}

// ---------------------------------------------------------------------------------------------------
// Gateway event payloads (GATEWAY.md §4). Each returns the decoded payload or null.

const ids = (d, ...keys) => isObject(d) && keys.every((k) => isUlid(d[k]));

export const EVENT_DECODERS = {
  ready: (d) => (ids(d, "user_id") ? { userId: d.user_id } : null),
  subscribed: (d) => (ids(d, "guild_id", "channel_id") ? { guildId: d.guild_id, channelId: d.channel_id } : null),

  message_create: (d) => decodeMessage(d),
  message_update: (d) => {
    if (!ids(d, "guild_id", "channel_id", "message_id") || !isTimestamp(d.updated_at_unix) || !isObject(d.updated_fields)) return null;
    const f = d.updated_fields;
    const hasContent = has(f, "content");
    const hasTokens = has(f, "markdown_tokens");
    if (!hasContent && !hasTokens) return null;
    if (hasContent && !isStr(f.content)) return null;
    const tokens = hasTokens ? decodeTokens(f.markdown_tokens) : undefined;
    if (tokens === null) return null;
    return { guildId: d.guild_id, channelId: d.channel_id, messageId: d.message_id,
      content: hasContent ? f.content : undefined, tokens };
  },
  message_delete: (d) => (ids(d, "guild_id", "channel_id", "message_id") && isTimestamp(d.deleted_at_unix)
    ? { guildId: d.guild_id, channelId: d.channel_id, messageId: d.message_id } : null),
  message_reaction: (d) => {
    if (!ids(d, "guild_id", "channel_id", "message_id", "actor_user_id") || !isInt(d.count, 0)) return null;
    if (!isStr(d.emoji) || d.emoji.length === 0 || (d.operation !== "add" && d.operation !== "remove")) return null;
    return { guildId: d.guild_id, channelId: d.channel_id, messageId: d.message_id, actorId: d.actor_user_id,
      emoji: d.emoji, count: d.count, operation: d.operation };
  },

  channel_create: (d) => {
    const channel = isObject(d) ? decodeChannel(d.channel) : null;
    return channel && isUlid(d.guild_id) ? { guildId: d.guild_id, channel } : null;
  },
  workspace_update: (d) => {
    if (!ids(d, "guild_id") || !isTimestamp(d.updated_at_unix) || !isObject(d.updated_fields)) return null;
    const f = d.updated_fields;
    if (!has(f, "name") && !has(f, "visibility")) return null;
    if (has(f, "name") && !isValidName(f.name)) return null;
    if (has(f, "visibility") && !isVisibility(f.visibility)) return null;
    return { guildId: d.guild_id, name: f.name, visibility: f.visibility };
  },
  workspace_member_add: (d) => (ids(d, "guild_id", "user_id") ? { guildId: d.guild_id, userId: d.user_id } : null),
  workspace_member_update: (d) => (ids(d, "guild_id", "user_id") ? { guildId: d.guild_id, userId: d.user_id } : null),
  workspace_member_remove: (d) => (ids(d, "guild_id", "user_id") ? { guildId: d.guild_id, userId: d.user_id } : null),
  workspace_member_ban: (d) => (ids(d, "guild_id", "user_id") ? { guildId: d.guild_id, userId: d.user_id } : null),
  workspace_role_create: (d) => {
    const role = isObject(d) ? decodeRole(d.role) : null;
    return role && isUlid(d.guild_id) ? { guildId: d.guild_id, role } : null;
  },
  workspace_role_update: (d) => (ids(d, "guild_id", "role_id") && isObject(d.updated_fields)
    ? { guildId: d.guild_id, roleId: d.role_id, fields: d.updated_fields } : null),
  workspace_role_delete: (d) => (ids(d, "guild_id", "role_id") ? { guildId: d.guild_id, roleId: d.role_id } : null),
  workspace_role_reorder: (d) => (ids(d, "guild_id") && Array.isArray(d.role_ids) && d.role_ids.every(isUlid)
    ? { guildId: d.guild_id, roleIds: d.role_ids } : null),
  workspace_role_assignment_add: (d) => (ids(d, "guild_id", "role_id", "user_id")
    ? { guildId: d.guild_id, roleId: d.role_id, userId: d.user_id } : null),
  workspace_role_assignment_remove: (d) => (ids(d, "guild_id", "role_id", "user_id")
    ? { guildId: d.guild_id, roleId: d.role_id, userId: d.user_id } : null),
  workspace_channel_role_override_update: (d) => (ids(d, "guild_id", "channel_id")
    ? { guildId: d.guild_id, channelId: d.channel_id } : null),

  presence_sync: (d) => (ids(d, "guild_id") && Array.isArray(d.user_ids) && d.user_ids.every(isUlid)
    ? { guildId: d.guild_id, userIds: d.user_ids } : null),
  presence_update: (d) => (ids(d, "guild_id", "user_id") && (d.status === "online" || d.status === "offline")
    ? { guildId: d.guild_id, userId: d.user_id, status: d.status } : null),

  profile_update: (d) => {
    if (!ids(d, "user_id") || !isObject(d.updated_fields)) return null;
    const f = d.updated_fields;
    if (has(f, "username") && !isUsername(f.username)) return null;
    if (has(f, "about_markdown") && !isStr(f.about_markdown)) return null;
    if (!has(f, "username") && !has(f, "about_markdown")) return null;
    return { userId: d.user_id, username: f.username, aboutMarkdown: f.about_markdown,
      aboutTokens: has(f, "about_markdown_tokens") ? decodeTokens(f.about_markdown_tokens) || [] : undefined };
  },
  profile_avatar_update: (d) => (ids(d, "user_id") && isInt(d.avatar_version, 0) ? { userId: d.user_id, version: d.avatar_version } : null),
  profile_banner_update: (d) => (ids(d, "user_id") && isInt(d.banner_version, 0) ? { userId: d.user_id, version: d.banner_version } : null),

  friend_request_create: (d) => decodeFriendRequest(d),
  friend_request_update: (d) => (ids(d, "request_id", "friend_user_id", "user_id") && isStr(d.friend_username)
    ? { requestId: d.request_id, userId: d.user_id, friendId: d.friend_user_id, friendUsername: d.friend_username } : null),
  friend_request_delete: (d) => (ids(d, "request_id") ? { requestId: d.request_id } : null),
  friend_remove: (d) => (ids(d, "user_id", "friend_user_id") ? { userId: d.user_id, friendId: d.friend_user_id } : null),
};
