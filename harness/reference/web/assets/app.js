// The app-shell controller: owns the state, runs the boot sequence of REST.md §12.2, performs user
// actions and applies gateway events as WEB_UI.md §4 describes. Views read `app.state` and call the
// action methods; every state change ends in `app.changed()`, which re-renders once per microtask.

import { api, ApiError, describeError } from "./api.js";
import {
  decodeChannel, decodeFriend, decodeFriendRequest, decodeGuild, decodeMessage, decodePermissionSnapshot,
  decodeProfile, decodeRole, isValidName,
} from "./decoders.js";
import { faultActive, WEB_FAULTS } from "./faults.js";
import { Gateway } from "./gateway.js";
import { clearSession, loadSession, saveAuthResponse, WORKSPACE_CACHE_KEY } from "./session.js";

const NOTICE_MS = 10000; // floating alerts auto-dismiss after 10 s
const MAX_MEMBERS = 200;
const LOOKUP_BATCH = 32;
const ROLE_EVENTS = new Set(["workspace_role_create", "workspace_role_update", "workspace_role_delete",
  "workspace_role_reorder", "workspace_role_assignment_add", "workspace_role_assignment_remove",
  "workspace_channel_role_override_update"]);

/** Permission gate of the workspace-settings form (WEB_UI.md §3 "Who may open / edit"). */
const ROLE_MANAGEMENT_PERMISSIONS = ["manage_roles", "manage_member_roles", "manage_workspace_roles"];

const byMessageId = (a, b) => (a.messageId < b.messageId ? -1 : a.messageId > b.messageId ? 1 : 0);

export class App {
  constructor({ session, navigate, onChange }) {
    this.navigate = navigate;
    this.onChange = onChange;
    this.renderQueued = false;
    this.destroyed = false;
    this.selectionSeq = 0; // bumps on every workspace/channel switch; stale async results are dropped
    this.noticeTimers = {};
    this.pendingLookups = new Set();
    this.state = {
      session,
      me: null,
      workspacesLoaded: false,
      workspaces: [], // [{guildId, name, visibility, channels: [{channelId, name, kind}]}]
      activeGuildId: null,
      activeChannelId: null,
      permissions: null, // {role, set: Set<string>} for the active channel, null while unknown
      roles: [], // active workspace, position desc
      members: new Map(), // active workspace: userId -> roleIds
      presence: new Set(), // active workspace: online user ids
      messages: [], // active channel, oldest first
      messagesLoaded: false,
      olderCursor: null,
      loadingOlder: false,
      users: new Map(), // userId -> {username, avatarVersion}
      gatewayLive: false,
      friends: [],
      incoming: [],
      outgoing: [],
      publicGuilds: [],
      joinStatus: new Map(), // guildId -> "joining" | "joined" | "blocked"
      overlay: null, // {kind, ...props}; only one overlay at a time
      menuOpen: false,
      channelRailCollapsed: false,
      memberRailOpen: false,
      editing: null, // {messageId, draft}
      notices: {}, // slot -> {text, kind}
      // Values for the Client settings Profile fields: from /auth/me, own saves and profile_update for
      // self. `profileFieldsRev` bumps whenever an open panel must overwrite its inputs with them.
      profileFields: { username: "", aboutMarkdown: "" },
      profileFieldsRev: 0,
      creatingWorkspace: false,
      refreshingSession: false,
    };
    this.gateway = new Gateway({
      getToken: () => this.state.session && this.state.session.accessToken,
      onStatus: (live) => {
        this.state.gatewayLive = live;
        this.changed();
      },
      onEvent: (type, payload, meta) => this.handleEvent(type, payload, meta),
    });
  }

  // ------------------------------------------------------------------------------------------------
  // Plumbing

  changed() {
    if (this.renderQueued || this.destroyed) return; // late async results after logout render nothing
    this.renderQueued = true;
    queueMicrotask(() => {
      this.renderQueued = false;
      this.onChange(this.state);
    });
  }

  get token() {
    return this.state.session ? this.state.session.accessToken : null;
  }

  /** Show a floating alert in `slot` ("workspace", "messages", "action"); empty text clears it. */
  notice(slot, text, kind = "status") {
    clearTimeout(this.noticeTimers[slot]);
    if (!text) {
      delete this.state.notices[slot];
    } else {
      this.state.notices[slot] = { text, kind };
      this.noticeTimers[slot] = setTimeout(() => {
        delete this.state.notices[slot];
        this.changed();
      }, NOTICE_MS);
    }
    this.changed();
  }

  fail(slot, err) {
    this.notice(slot, describeError(err), "alert");
  }

  destroy() {
    this.destroyed = true;
    this.gateway.stop();
    for (const timer of Object.values(this.noticeTimers)) clearTimeout(timer);
    this.selectionSeq += 1;
  }

  // ------------------------------------------------------------------------------------------------
  // Derived values

  activeWorkspace() {
    return this.state.workspaces.find((w) => w.guildId === this.state.activeGuildId) || null;
  }

  activeChannel() {
    const ws = this.activeWorkspace();
    return (ws && ws.channels.find((c) => c.channelId === this.state.activeChannelId)) || null;
  }

  can(permission) {
    return Boolean(this.state.permissions && this.state.permissions.set.has(permission));
  }

  canManageWorkspace() {
    return ROLE_MANAGEMENT_PERMISSIONS.some((p) => this.can(p));
  }

  /** Resolved username, else the first 14 chars of the id + "..." (WEB_UI.md §2 message rows). */
  userLabel(userId) {
    const user = this.state.users.get(userId);
    return user ? user.username : `${userId.slice(0, 14)}...`;
  }

  /** Inline colour of the first coloured role (in role-list order) the user holds, or null. */
  userColor(userId) {
    const roleIds = this.state.members.get(userId);
    if (!roleIds || roleIds.length === 0) return null;
    const role = this.state.roles.find((r) => r.colorHex && roleIds.includes(r.roleId));
    return role ? role.colorHex : null;
  }

  // ------------------------------------------------------------------------------------------------
  // Boot (REST.md §12.2)

  async boot() {
    const seq = this.selectionSeq;
    this.loadMe();
    this.loadSessionScoped();
    try {
      await this.loadWorkspaces();
    } catch (err) {
      // Not "no workspaces": without the list we cannot tell, so no create-first-workspace state.
      if (seq === this.selectionSeq) this.fail("workspace", err);
      return;
    }
    if (seq !== this.selectionSeq) return;
    this.selectFirstAvailable();
  }

  async loadMe() {
    try {
      const me = decodeProfile(await api.me(this.token));
      if (!me) throw new ApiError("invalid_response", 200);
      this.state.me = me;
      this.state.users.set(me.userId, { username: me.username, avatarVersion: me.avatarVersion });
      this.setProfileFields({ username: me.username, aboutMarkdown: me.aboutMarkdown });
    } catch (err) {
      if (err instanceof ApiError && err.code === "invalid_credentials") {
        this.logout({ remote: false });
        return;
      }
      this.fail("action", err);
    }
  }

  /** Public directory and friendships are loaded once per session, independent of workspaces. */
  async loadSessionScoped() {
    const t = this.token;
    const [publicGuilds, friends, requests] = await Promise.allSettled([
      api.publicGuilds(t, ""), api.friends(t), api.friendRequests(t),
    ]);
    if (publicGuilds.status === "fulfilled") this.state.publicGuilds = decodeList(publicGuilds.value.guilds, decodeGuild);
    if (friends.status === "fulfilled") this.state.friends = decodeList(friends.value.friends, decodeFriend);
    if (requests.status === "fulfilled") {
      this.state.incoming = decodeList(requests.value.incoming, decodeFriendRequest);
      this.state.outgoing = decodeList(requests.value.outgoing, decodeFriendRequest);
    }
    this.changed();
  }

  /** GET /guilds then every guild's channels; guilds without visible channels are dropped. */
  async loadWorkspaces() {
    const t = this.token;
    const guilds = decodeList((await api.guilds(t)).guilds, decodeGuild);
    const withChannels = await Promise.all(guilds.map(async (guild) => {
      try {
        const channels = decodeList((await api.channels(t, guild.guildId)).channels, decodeChannel);
        return { ...guild, channels };
      } catch {
        return { ...guild, channels: [] }; // 403/404: the guild is not usable
      }
    }));
    this.state.workspaces = withChannels.filter((w) => w.channels.length > 0);
    this.state.workspacesLoaded = true;
    this.writeWorkspaceCache();
    this.changed();
  }

  /** Written after each bootstrap like the real client (which never reads it back). */
  writeWorkspaceCache() {
    try {
      window.localStorage.setItem(WORKSPACE_CACHE_KEY, JSON.stringify(this.state.workspaces.map((w) => ({
        guild_id: w.guildId, name: w.name, visibility: w.visibility,
        channels: w.channels.map((c) => ({ channel_id: c.channelId, name: c.name, kind: c.kind })),
      }))));
    } catch {
      // storage full or disabled: the cache is informational only
    }
  }

  /** Keep the current selection if it still exists, else the first workspace and its first channel. */
  selectFirstAvailable() {
    const current = this.activeWorkspace();
    if (current && this.activeChannel()) return;
    const ws = current || this.state.workspaces[0];
    if (!ws) {
      this.clearSelection();
      this.openOverlay({ kind: "create-workspace", forced: true });
      return;
    }
    this.selectChannel(ws.guildId, ws.channels[0].channelId);
  }

  clearSelection() {
    this.selectionSeq += 1;
    Object.assign(this.state, {
      activeGuildId: null, activeChannelId: null, permissions: null, roles: [], members: new Map(),
      presence: new Set(), messages: [], messagesLoaded: false, olderCursor: null, editing: null, menuOpen: false,
    });
    this.syncGateway();
    this.changed();
  }

  // ------------------------------------------------------------------------------------------------
  // Selection: permissions, roles, members, history, gateway

  selectWorkspace(guildId) {
    const ws = this.state.workspaces.find((w) => w.guildId === guildId);
    if (!ws || ws.channels.length === 0) return;
    if (guildId === this.state.activeGuildId) return;
    this.selectChannel(guildId, ws.channels[0].channelId);
  }

  async selectChannel(guildId, channelId) {
    const seq = ++this.selectionSeq;
    const guildChanged = guildId !== this.state.activeGuildId;
    Object.assign(this.state, {
      activeGuildId: guildId, activeChannelId: channelId, permissions: null,
      messages: [], messagesLoaded: false, olderCursor: null, editing: null,
    });
    if (guildChanged) {
      Object.assign(this.state, { roles: [], members: new Map(), presence: new Set(), menuOpen: false });
    }
    this.syncGateway(); // no permissions yet: closes the socket of the previous channel
    this.changed();

    if (guildChanged) {
      this.loadRoles(seq);
      this.loadMembers(seq);
    }
    this.notice("workspace", "Validating workspace access...");
    const ok = await this.loadPermissions(seq);
    if (seq !== this.selectionSeq) return;
    this.notice("workspace", "");
    if (!ok) return;
    if (!this.can("create_message")) {
      this.notice("workspace", "Channel is not visible with your current default permissions.", "alert");
      return;
    }
    this.syncGateway();
    await this.loadMessages(seq);
  }

  /** GET permissions/self for the active channel; on 403/404 the channel is dropped. Returns success. */
  async loadPermissions(seq) {
    const { activeGuildId: g, activeChannelId: c } = this.state;
    try {
      const snapshot = decodePermissionSnapshot(await api.permissionsSelf(this.token, g, c));
      if (seq !== this.selectionSeq) return false;
      if (!snapshot) throw new ApiError("invalid_response", 200);
      this.state.permissions = { role: snapshot.role, set: new Set(snapshot.permissions) };
      this.changed();
      return true;
    } catch (err) {
      if (seq !== this.selectionSeq) return false;
      if (err instanceof ApiError && (err.status === 403 || err.status === 404)) {
        // "action" slot: the next channel's selection reuses the "workspace" slot right away.
        this.notice("action", "Channel is not visible with your current default permissions.", "alert");
        this.dropChannel(g, c);
      } else {
        this.fail("workspace", err);
      }
      return false;
    }
  }

  async loadRoles(seq) {
    try {
      const body = await api.roles(this.token, this.state.activeGuildId);
      if (seq !== this.selectionSeq) return;
      this.state.roles = decodeList(body.roles, decodeRole);
      this.changed();
    } catch {
      // roles only colour author names; the permission snapshot still gates the UI
    }
  }

  async loadMembers(seq) {
    const members = new Map();
    let cursor = null;
    try {
      do {
        const body = await api.members(this.token, this.state.activeGuildId, cursor);
        if (seq !== this.selectionSeq) return;
        for (const m of Array.isArray(body.members) ? body.members : []) {
          if (m && typeof m.user_id === "string" && Array.isArray(m.role_ids)) members.set(m.user_id, m.role_ids);
        }
        cursor = typeof body.next_cursor === "string" ? body.next_cursor : null;
      } while (cursor && members.size < MAX_MEMBERS);
    } catch {
      return; // the member list is cosmetic here (role colours, preview count)
    }
    this.state.members = members;
    this.ensureUsers([...members.keys()]);
    this.changed();
  }

  async loadMessages(seq, { older = false } = {}) {
    const { activeGuildId: g, activeChannelId: c } = this.state;
    if (older) this.state.loadingOlder = true;
    else this.notice("messages", "Loading messages...");
    try {
      const body = await api.messages(this.token, g, c, older ? this.state.olderCursor : null);
      if (seq !== this.selectionSeq) return;
      const page = decodeList(body.messages, decodeMessage);
      this.state.olderCursor = page.length === 50 && typeof body.next_before === "string" ? body.next_before : null;
      for (const message of page) this.upsertMessage(message, { replace: !older });
      this.state.messagesLoaded = true;
      this.ensureUsers(page.map((m) => m.authorId));
      if (!older) this.notice("messages", "");
    } catch (err) {
      if (seq !== this.selectionSeq) return;
      this.fail("messages", err);
    } finally {
      if (older) this.state.loadingOlder = false;
      this.changed();
    }
  }

  loadOlderMessages() {
    if (this.state.olderCursor && !this.state.loadingOlder) this.loadMessages(this.selectionSeq, { older: true });
  }

  /** The `Refresh` header button: re-fetch history through REST. */
  refreshMessages() {
    if (!this.activeChannel() || !this.can("create_message")) return;
    this.state.messages = [];
    this.state.olderCursor = null;
    this.loadMessages(this.selectionSeq);
  }

  /** Open, keep or close the socket: only with an active channel the user may create_message in. */
  syncGateway() {
    const ws = this.activeWorkspace();
    const channel = this.activeChannel();
    if (!this.state.session || !ws || !channel || !this.can("create_message")) {
      this.gateway.setTarget(null);
      return;
    }
    this.gateway.setTarget({
      key: `${ws.guildId}:${channel.channelId}`,
      // Evaluated at each (re)connect: the active channel plus every voice channel of the workspace.
      subscriptions: () => {
        const current = this.activeWorkspace();
        if (!current) return [];
        const ids = [channel.channelId, ...current.channels.filter((c) => c.kind === "voice").map((c) => c.channelId)];
        return [...new Set(ids)].map((channelId) => ({ guildId: current.guildId, channelId }));
      },
    });
  }

  /** Remove a channel from the rail; a workspace left without channels disappears too. */
  dropChannel(guildId, channelId) {
    const ws = this.state.workspaces.find((w) => w.guildId === guildId);
    if (!ws) return;
    ws.channels = ws.channels.filter((c) => c.channelId !== channelId);
    if (ws.channels.length === 0) {
      this.dropWorkspace(guildId);
      return;
    }
    if (this.state.activeChannelId === channelId) this.selectChannel(guildId, ws.channels[0].channelId);
    this.changed();
  }

  /** Kicked or banned: that workspace leaves the rail (events about other users change nothing). */
  dropWorkspaceIfSelf({ guildId, userId }) {
    if (this.state.me && userId === this.state.me.userId) this.dropWorkspace(guildId);
  }

  dropWorkspace(guildId) {
    this.state.workspaces = this.state.workspaces.filter((w) => w.guildId !== guildId);
    if (this.state.activeGuildId === guildId) {
      this.clearSelection();
      this.selectFirstAvailable();
    }
    this.changed();
  }

  // ------------------------------------------------------------------------------------------------
  // Users (POST /users/lookup, batched, cached for the page's lifetime)

  ensureUsers(ids) {
    const missing = [...new Set(ids)].filter((id) => !this.state.users.has(id) && !this.pendingLookups.has(id));
    if (missing.length === 0) return;
    for (const id of missing) this.pendingLookups.add(id);
    for (let i = 0; i < missing.length; i += LOOKUP_BATCH) {
      const batch = missing.slice(i, i + LOOKUP_BATCH);
      api.lookupUsers(this.token, batch).then((body) => {
        for (const u of Array.isArray(body.users) ? body.users : []) {
          if (u && typeof u.user_id === "string" && typeof u.username === "string" && !this.state.users.has(u.user_id)) {
            this.state.users.set(u.user_id, { username: u.username, avatarVersion: Number.isInteger(u.avatar_version) ? u.avatar_version : 0 });
          }
        }
        this.changed();
      }).catch(() => {}).finally(() => {
        for (const id of batch) this.pendingLookups.delete(id);
      });
    }
  }

  // ------------------------------------------------------------------------------------------------
  // Overlays and menus

  openOverlay(overlay) {
    this.state.overlay = overlay; // replaces any open overlay: only one at a time
    this.state.menuOpen = false;
    this.changed();
  }

  closeOverlay() {
    if (this.state.overlay && this.state.overlay.forced) return;
    this.state.overlay = null;
    this.changed();
  }

  setMenuOpen(open) {
    this.state.menuOpen = open && Boolean(this.activeWorkspace());
    this.changed();
  }

  toggle(flag) {
    this.state[flag] = !this.state[flag];
    this.changed();
  }

  // ------------------------------------------------------------------------------------------------
  // Workspace and channel actions

  async createWorkspace({ name, visibility, channelName, kind }) {
    name = name.trim();
    channelName = channelName.trim();
    if (!isValidName(name) || !isValidName(channelName)) {
      throw new Error("Names must be 1-64 printable characters.");
    }
    this.state.creatingWorkspace = true;
    this.changed();
    try {
      const guild = decodeGuild(await api.createGuild(this.token, name, visibility));
      const channel = decodeChannel(await api.createChannel(this.token, guild.guildId, channelName, kind));
      this.state.workspaces = [...this.state.workspaces.filter((w) => w.guildId !== guild.guildId), { ...guild, channels: [channel] }];
      this.state.overlay = null;
      this.writeWorkspaceCache();
      this.notice("action", "Workspace created.");
      this.selectChannel(guild.guildId, channel.channelId);
    } catch (err) {
      throw new Error(describeError(err));
    } finally {
      this.state.creatingWorkspace = false;
      this.changed();
    }
  }

  async createChannel({ name, kind }) {
    const ws = this.activeWorkspace();
    name = name.trim();
    if (!ws) throw new Error("Select a workspace first.");
    if (!isValidName(name)) throw new Error("Channel name must be 1-64 printable characters.");
    let channel;
    try {
      channel = decodeChannel(await api.createChannel(this.token, ws.guildId, name, kind));
    } catch (err) {
      throw new Error(describeError(err));
    }
    this.addChannel(ws.guildId, channel);
    this.state.overlay = null;
    this.notice("action", "Channel created.");
    this.selectChannel(ws.guildId, channel.channelId);
  }

  addChannel(guildId, channel) {
    const ws = this.state.workspaces.find((w) => w.guildId === guildId);
    if (!ws || ws.channels.some((c) => c.channelId === channel.channelId)) return;
    ws.channels = [...ws.channels, channel];
    this.changed();
  }

  /** Workspace settings "Save workspace": PATCH /guilds/{g} with both fields. */
  async saveWorkspace(guildId, name, visibility) {
    let guild;
    try {
      guild = decodeGuild(await api.updateGuild(this.token, guildId, name.trim(), visibility));
    } catch (err) {
      throw new Error(describeError(err));
    }
    if (guild) this.applyWorkspaceFields(guild.guildId, guild.name, guild.visibility);
  }

  applyWorkspaceFields(guildId, name, visibility) {
    const ws = this.state.workspaces.find((w) => w.guildId === guildId);
    if (!ws) return;
    if (name !== undefined) ws.name = name;
    if (visibility !== undefined) ws.visibility = visibility;
    this.changed();
  }

  async searchPublic(query) {
    try {
      this.state.publicGuilds = decodeList((await api.publicGuilds(this.token, query.trim())).guilds, decodeGuild);
    } catch (err) {
      throw new Error(describeError(err));
    } finally {
      this.changed();
    }
  }

  /** Join keeps the current selection; the joined workspace is selected only if nothing was. */
  async joinPublic(guildId) {
    this.state.joinStatus.set(guildId, "joining");
    this.changed();
    try {
      await api.joinGuild(this.token, guildId);
      this.state.joinStatus.set(guildId, "joined");
      await this.loadWorkspaces();
      if (!this.activeWorkspace()) {
        const joined = this.state.workspaces.find((w) => w.guildId === guildId);
        if (joined) {
          this.state.overlay = null;
          this.selectChannel(joined.guildId, joined.channels[0].channelId);
        }
      }
    } catch (err) {
      const blocked = err instanceof ApiError && err.status === 403;
      if (blocked) this.state.joinStatus.set(guildId, "blocked");
      else this.state.joinStatus.delete(guildId);
      throw new Error(describeError(err));
    } finally {
      this.changed();
    }
  }

  // ------------------------------------------------------------------------------------------------
  // Messages

  upsertMessage(message, { replace = true } = {}) {
    const list = this.state.messages;
    const index = list.findIndex((m) => m.messageId === message.messageId);
    if (index >= 0) {
      if (replace) list[index] = message;
      return;
    }
    list.push(message);
    list.sort(byMessageId);
  }

  async sendMessage(text) {
    const ws = this.activeWorkspace();
    const channel = this.activeChannel();
    if (!ws || !channel) {
      this.notice("action", "Select a channel first.", "alert");
      return false;
    }
    const content = text.trim();
    if (!content) {
      this.notice("action", "Message must include text or at least one attachment.", "alert");
      return false;
    }
    try {
      const message = decodeMessage(await api.sendMessage(this.token, ws.guildId, channel.channelId, content));
      if (message && message.channelId === this.state.activeChannelId) {
        this.upsertMessage(message, { replace: false }); // the gateway copy may already be here
        this.changed();
      }
      return true;
    } catch (err) {
      this.fail("action", err);
      return false;
    }
  }

  startEditing(messageId) {
    const message = this.state.messages.find((m) => m.messageId === messageId);
    if (!message) return;
    this.state.editing = { messageId, draft: message.content };
    this.changed();
  }

  cancelEditing() {
    this.state.editing = null;
    this.changed();
  }

  async saveEdit(messageId, draft) {
    const content = draft.trim();
    if (!content) {
      this.notice("action", "Message must include text or at least one attachment.", "alert");
      return;
    }
    try {
      const message = decodeMessage(await api.editMessage(this.token, this.state.activeGuildId, this.state.activeChannelId, messageId, content));
      if (message) this.patchMessage(messageId, { content: message.content, tokens: message.tokens });
      this.state.editing = null;
      this.notice("action", "Message updated.");
    } catch (err) {
      this.fail("action", err);
    }
  }

  async deleteMessage(messageId) {
    try {
      await api.deleteMessage(this.token, this.state.activeGuildId, this.state.activeChannelId, messageId);
      this.removeMessage(messageId);
      this.notice("action", "Message deleted.");
    } catch (err) {
      this.fail("action", err);
    }
  }

  patchMessage(messageId, fields) {
    const message = this.state.messages.find((m) => m.messageId === messageId);
    if (!message) return false;
    Object.assign(message, fields);
    this.changed();
    return true;
  }

  removeMessage(messageId) {
    this.state.messages = this.state.messages.filter((m) => m.messageId !== messageId);
    if (this.state.editing && this.state.editing.messageId === messageId) this.state.editing = null;
    this.changed();
  }

  /** Clicking a chip toggles my reaction; the picker always adds. */
  async react(messageId, emoji, remove = false) {
    const { activeGuildId: g, activeChannelId: c } = this.state;
    try {
      const body = remove
        ? await api.removeReaction(this.token, g, c, messageId, emoji)
        : await api.addReaction(this.token, g, c, messageId, emoji);
      if (body && Number.isInteger(body.count)) this.setReaction(messageId, emoji, body.count, body.reacted_by_me === true);
    } catch (err) {
      this.fail("action", err);
    }
  }

  setReaction(messageId, emoji, count, reactedByMe) {
    const message = this.state.messages.find((m) => m.messageId === messageId);
    if (!message) return;
    const existing = message.reactions.find((r) => r.emoji === emoji);
    const mine = reactedByMe === undefined ? Boolean(existing && existing.reactedByMe) : reactedByMe;
    const others = message.reactions.filter((r) => r.emoji !== emoji);
    message.reactions = count > 0
      ? [...others, { emoji, count, reactedByMe: mine }].sort((a, b) => (a.emoji < b.emoji ? -1 : a.emoji > b.emoji ? 1 : 0))
      : others; // a chip disappears at count 0
    this.changed();
  }

  // ------------------------------------------------------------------------------------------------
  // Session and profile

  async refreshSession() {
    if (!this.state.session || this.state.refreshingSession) return;
    this.state.refreshingSession = true;
    this.changed();
    try {
      this.state.session = saveAuthResponse(await api.refresh(this.state.session.refreshToken));
      this.notice("action", "Session refreshed.");
    } catch (err) {
      this.fail("action", err);
    } finally {
      this.state.refreshingSession = false;
      this.changed();
    }
  }

  /** Best-effort POST /auth/logout, then the local session is gone and the guard shows /login. */
  logout({ remote = true } = {}) {
    const session = loadSession();
    if (remote && session) api.logout(session.refreshToken).catch(() => {});
    clearSession();
    this.state.session = null;
    this.destroy();
    this.navigate("/login", { replace: true });
  }

  async saveProfile(username, aboutMarkdown) {
    let profile;
    try {
      profile = decodeProfile(await api.updateProfile(this.token, username.trim(), aboutMarkdown));
    } catch (err) {
      throw new Error(describeError(err));
    }
    if (profile) this.applyOwnProfile(profile);
  }

  async uploadProfileMedia(kind, file) {
    let profile;
    try {
      profile = decodeProfile(await api.uploadProfileMedia(this.token, kind, file));
    } catch (err) {
      throw new Error(describeError(err));
    }
    if (profile) this.applyOwnProfile(profile);
  }

  applyOwnProfile(profile) {
    this.state.me = profile;
    this.state.users.set(profile.userId, { username: profile.username, avatarVersion: profile.avatarVersion });
    this.setProfileFields({ username: profile.username, aboutMarkdown: profile.aboutMarkdown });
  }

  setProfileFields(fields) {
    this.state.profileFields = { ...this.state.profileFields, ...fields };
    this.state.profileFieldsRev += 1;
    this.changed();
  }

  // ------------------------------------------------------------------------------------------------
  // Friendships

  async sendFriendRequest(userId) {
    try {
      const request = decodeFriendRequest(await api.sendFriendRequest(this.token, userId.trim()));
      if (request) this.upsertRequest(request);
    } catch (err) {
      throw new Error(describeError(err));
    }
  }

  async acceptFriendRequest(request) {
    try {
      await api.acceptFriendRequest(this.token, request.requestId);
      this.removeRequest(request.requestId);
      this.addFriend(request.senderId, request.senderUsername);
    } catch (err) {
      this.fail("action", err);
    }
  }

  async deleteFriendRequest(requestId) {
    try {
      await api.deleteFriendRequest(this.token, requestId);
      this.removeRequest(requestId);
    } catch (err) {
      this.fail("action", err);
    }
  }

  async removeFriend(userId) {
    try {
      await api.removeFriend(this.token, userId);
      this.state.friends = this.state.friends.filter((f) => f.userId !== userId);
      this.changed();
    } catch (err) {
      this.fail("action", err);
    }
  }

  upsertRequest(request) {
    const me = this.state.me && this.state.me.userId;
    this.removeRequest(request.requestId);
    if (request.recipientId === me) this.state.incoming = [request, ...this.state.incoming];
    if (request.senderId === me) this.state.outgoing = [request, ...this.state.outgoing];
    this.changed();
  }

  removeRequest(requestId) {
    this.state.incoming = this.state.incoming.filter((r) => r.requestId !== requestId);
    this.state.outgoing = this.state.outgoing.filter((r) => r.requestId !== requestId);
    this.changed();
  }

  addFriend(userId, username) {
    if (!this.state.friends.some((f) => f.userId === userId)) {
      this.state.friends = [{ userId, username }, ...this.state.friends];
    }
    this.changed();
  }

  // ------------------------------------------------------------------------------------------------
  // Gateway events (WEB_UI.md §4 "Event → DOM table"). Payloads arrive decoded (gateway.js).

  handleEvent(type, payload, meta) {
    if (ROLE_EVENTS.has(type)) {
      this.onRoleEvent(type, payload);
      return;
    }
    if (!Object.hasOwn(this.eventHandlers, type)) return; // decoded but without visible effect
    this.eventHandlers[type].call(this, payload, meta);
  }

  isActiveChannel(p) {
    return p.guildId === this.state.activeGuildId && p.channelId === this.state.activeChannelId;
  }

  eventHandlers = {
    message_create(p) {
      if (!this.isActiveChannel(p)) return;
      this.upsertMessage(p, { replace: false }); // deduplicated by id
      this.ensureUsers([p.authorId]);
      this.changed();
    },

    message_update(p) {
      if (faultActive(WEB_FAULTS.EDIT_NOT_APPLIED)) return; // planted fault: remote edits are ignored
      if (!this.isActiveChannel(p)) return;
      const fields = {};
      if (p.content !== undefined) fields.content = p.content;
      fields.tokens = p.tokens !== undefined ? p.tokens : [];
      // An open editor keeps its draft (state.editing is untouched); only the rendered text changes.
      this.patchMessage(p.messageId, fields);
    },

    message_delete(p) {
      if (this.isActiveChannel(p)) this.removeMessage(p.messageId);
    },

    message_reaction(p) {
      if (!this.isActiveChannel(p)) return;
      const mine = this.state.me && p.actorId === this.state.me.userId ? p.operation === "add" : undefined;
      this.setReaction(p.messageId, p.emoji, p.count, mine);
    },

    workspace_update(p) {
      if (faultActive(WEB_FAULTS.RENAME_NOT_APPLIED)) return; // planted fault: remote renames are ignored
      // Rail letter/title, menu button name and subtitle all derive from the workspace entry. An open
      // Workspace settings dialog is a snapshot and does not change (view-settings.js).
      this.applyWorkspaceFields(p.guildId, p.name, p.visibility);
    },

    channel_create(p) {
      if (p.guildId === this.state.activeGuildId) this.addChannel(p.guildId, p.channel);
    },

    workspace_member_remove(p) {
      this.dropWorkspaceIfSelf(p);
    },

    workspace_member_ban(p) {
      this.dropWorkspaceIfSelf(p);
    },

    presence_sync(p) {
      if (p.guildId !== this.state.activeGuildId) return;
      this.state.presence = new Set(p.userIds);
      this.ensureUsers(p.userIds);
      this.changed();
    },

    presence_update(p) {
      if (p.guildId !== this.state.activeGuildId) return;
      if (p.status === "online") this.state.presence.add(p.userId);
      else this.state.presence.delete(p.userId);
      this.ensureUsers([p.userId]);
      this.changed();
    },

    profile_update(p) {
      if (p.username !== undefined) {
        const user = this.state.users.get(p.userId);
        this.state.users.set(p.userId, { avatarVersion: 0, ...user, username: p.username });
        for (const friend of this.state.friends) if (friend.userId === p.userId) friend.username = p.username;
      }
      if (this.state.me && p.userId === this.state.me.userId) {
        // The footer keeps the /auth/me username (not refreshed, as in the real client); the Client
        // settings Profile fields do follow the event.
        const fields = {};
        if (p.username !== undefined) fields.username = p.username;
        if (p.aboutMarkdown !== undefined) fields.aboutMarkdown = p.aboutMarkdown;
        this.setProfileFields(fields);
      }
      this.changed();
    },

    profile_avatar_update(p) {
      const user = this.state.users.get(p.userId);
      if (user) user.avatarVersion = p.version;
      if (this.state.me && p.userId === this.state.me.userId) this.state.me.avatarVersion = p.version;
      this.changed();
    },

    profile_banner_update(p) {
      if (this.state.me && p.userId === this.state.me.userId) this.state.me.bannerVersion = p.version;
      this.changed();
    },

    // Friend events apply only after this socket's `ready` (WEB_UI.md §4).
    friend_request_create(p, meta) {
      if (meta.ready) this.upsertRequest(p);
    },

    friend_request_update(p, meta) {
      if (!meta.ready) return;
      this.removeRequest(p.requestId);
      this.addFriend(p.friendId, p.friendUsername);
    },

    friend_request_delete(p, meta) {
      if (meta.ready) this.removeRequest(p.requestId);
    },

    friend_remove(p, meta) {
      if (!meta.ready) return;
      this.state.friends = this.state.friends.filter((f) => f.userId !== p.friendId);
      this.changed();
    },
  };

  /**
   * Role and role-override events for the active workspace: patch local member roles, then re-fetch
   * roles and the channel permission snapshot. Losing the active channel drops it from the rail.
   */
  async onRoleEvent(type, p) {
    if (p.guildId !== this.state.activeGuildId) return;
    if (type === "workspace_role_assignment_add" || type === "workspace_role_assignment_remove") {
      const roleIds = (this.state.members.get(p.userId) || []).filter((id) => id !== p.roleId);
      if (type === "workspace_role_assignment_add") roleIds.push(p.roleId);
      this.state.members.set(p.userId, roleIds);
    }
    const seq = this.selectionSeq;
    this.loadRoles(seq);
    const hadCreate = this.can("create_message");
    const ok = await this.loadPermissions(seq);
    if (!ok || seq !== this.selectionSeq) return;
    if (!this.can("create_message")) {
      this.notice("workspace", "Channel is not visible with your current default permissions.", "alert");
      this.syncGateway();
    } else if (!hadCreate) {
      this.syncGateway();
      this.loadMessages(seq);
    }
    this.closePanelsNeedingLostPermissions();
  }

  /** Open panels that need a lost permission close; the two settings panels never auto-close. */
  closePanelsNeedingLostPermissions() {
    const overlay = this.state.overlay;
    if (overlay && overlay.kind === "create-channel" && !this.can("manage_channel_overrides")) {
      this.state.overlay = null;
      this.changed();
    }
  }
}

function decodeList(value, decoder) {
  return (Array.isArray(value) ? value : []).map(decoder).filter(Boolean);
}
