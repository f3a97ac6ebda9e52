// The app shell (WEB_UI.md §2): server rail, channel rail with the workspace menu and account footer,
// chat column, optional member rail and the overlay host. The skeleton is built once; each region is
// re-rendered only when the state it shows changes (`region`), and message rows are keyed by id
// (view-messages.js) so an open editor or the composer never loses its text.

import { api } from "./api.js";
import { h, initials, setChildren } from "./dom.js";
import { faultActive, WEB_FAULTS } from "./faults.js";
import { createOverlayHost } from "./view-overlay.js";
import { MessageListView } from "./view-messages.js";

/** A DOM region re-rendered from scratch whenever `key(state)` changes. */
function region(el, key, render) {
  let last;
  return (state) => {
    const next = key(state);
    if (next === last) return;
    last = next;
    setChildren(el, render(state));
  };
}

export function mountShell(root, app) {
  const serverRail = h("aside", { class: "server-rail", "aria-label": "servers" });
  const channelRail = h("aside", { class: "channel-rail" });
  const chatHeader = h("header", { class: "chat-header" });
  const messageList = new MessageListView(app);
  const emptyWorkspace = h("div", { class: "empty-workspace" },
    h("h3", {}, "Create your first workspace"),
    h("p", {}, "Use the + button in the workspace rail to create your first guild and channel."));
  const chatBody = h("section", { class: "chat-body" }, emptyWorkspace, messageList.el);
  const composer = createComposer(app);
  const notices = h("div", { class: "floating-notices" });
  const main = h("main", { class: "chat-panel" }, chatHeader, chatBody, composer.el, notices);
  const memberRail = h("aside", { class: "member-rail" });
  const shell = h("div", { class: "app-shell" }, serverRail, channelRail, main, memberRail);
  const overlay = createOverlayHost(app);
  setChildren(root, h("div", { class: "app-shell-scaffold" }, shell, overlay.el));

  const regions = [
    region(serverRail, serverRailKey, () => renderServerRail(app)),
    region(channelRail, (s) => channelRailKey(app, s), () => renderChannelRail(app)),
    region(chatHeader, (s) => chatHeaderKey(app, s), () => renderChatHeader(app)),
    region(notices, (s) => JSON.stringify(s.notices), (s) => Object.values(s.notices).map((n) => (
      h("p", { role: n.kind, "aria-live": n.kind === "alert" ? "assertive" : "polite", class: `notice notice-${n.kind}` }, n.text)))),
    region(memberRail, (s) => memberRailKey(app, s), () => renderMemberRail(app)),
  ];

  // Escape closes the workspace menu and any overlay (except the user profile card, like the real
  // client); a pointer-down outside the menu closes it.
  const onKeyDown = (event) => {
    if (event.key !== "Escape") return;
    if (app.state.menuOpen) app.setMenuOpen(false);
    if (app.state.overlay && !app.state.overlay.noEscape) app.closeOverlay();
  };
  const onPointerDown = (event) => {
    if (app.state.menuOpen && !event.target.closest(".workspace-menu-anchor")) app.setMenuOpen(false);
  };
  window.addEventListener("keydown", onKeyDown);
  document.addEventListener("pointerdown", onPointerDown);

  return {
    render(state) {
      const noWorkspace = state.workspacesLoaded && state.workspaces.length === 0;
      shell.className = ["app-shell", state.channelRailCollapsed && "channel-rail-collapsed",
        !state.memberRailOpen && "member-rail-collapsed"].filter(Boolean).join(" ");
      emptyWorkspace.hidden = !noWorkspace;
      memberRail.hidden = !state.memberRailOpen;
      for (const render of regions) render(state);
      messageList.render(state, !noWorkspace);
      composer.render(state);
      overlay.render(state);
    },
    destroy() {
      window.removeEventListener("keydown", onKeyDown);
      document.removeEventListener("pointerdown", onPointerDown);
    },
  };
}

// ---------------------------------------------------------------------------------------------------
// Server rail

function serverRailKey(s) {
  return JSON.stringify([s.workspaces.map((w) => [w.guildId, w.name, w.visibility]), s.activeGuildId, s.creatingWorkspace]);
}

function renderServerRail(app) {
  const { workspaces, activeGuildId, creatingWorkspace } = app.state;
  return [
    h("p", { class: "rail-caption" }, "WS"),
    workspaces.map((w) => h("button", {
      type: "button",
      class: ["workspace-button", w.guildId === activeGuildId && "active"],
      title: `${w.name} (${w.visibility})`,
      onclick: () => app.selectWorkspace(w.guildId),
    }, w.name.charAt(0).toUpperCase())),
    h("button", { type: "button", class: "rail-action", "aria-label": "Open workspace create panel", title: "Create workspace",
      disabled: creatingWorkspace, onclick: () => app.openOverlay({ kind: "create-workspace" }) }, "+"),
    h("button", { type: "button", class: "rail-action", "aria-label": "Open public workspace directory panel",
      title: "Public workspace directory", onclick: () => app.openOverlay({ kind: "directory" }) }, "D"),
    h("button", { type: "button", class: "rail-action", "aria-label": "Open friendships panel", title: "Friendships",
      onclick: () => app.openOverlay({ kind: "friendships" }) }, "F"),
  ];
}

// ---------------------------------------------------------------------------------------------------
// Channel rail: workspace menu, channel list, account footer

function channelRailKey(app, s) {
  const ws = app.activeWorkspace();
  return JSON.stringify([ws && [ws.guildId, ws.name, ws.visibility, ws.channels], s.activeChannelId, s.menuOpen,
    app.can("manage_channel_overrides"), s.me && [s.me.userId, s.me.username, s.me.avatarVersion],
    s.me && app.userColor(s.me.userId), s.gatewayLive]);
}

function renderChannelRail(app) {
  const ws = app.activeWorkspace();
  return [
    h("header", { class: "channel-rail-header" }, renderWorkspaceMenu(app, ws),
      h("p", { class: "workspace-subtitle" }, ws ? `${ws.visibility} workspace` : "Hardened workspace")),
    ws ? renderChannelList(app, ws) : h("p", { class: "channel-rail-empty" }, "Create a workspace to begin."),
    ws ? renderFooter(app) : null,
  ];
}

function renderWorkspaceMenu(app, ws) {
  const open = app.state.menuOpen && Boolean(ws);
  const trigger = h("button", {
    type: "button", class: "workspace-menu-trigger", "aria-label": "Open workspace menu",
    "aria-haspopup": "menu", "aria-expanded": open ? "true" : "false", disabled: !ws,
    onclick: () => app.setMenuOpen(!app.state.menuOpen),
  }, h("h2", {}, ws ? ws.name : "No Workspace"), h("span", { class: "chevron", "aria-hidden": "true" }, "▾"));
  const item = (label, text, onclick, extra = {}) => h("button", {
    type: "button", role: "menuitem", class: "workspace-menu-item", "aria-label": label, onclick, ...extra,
  }, text);
  const menu = open && h("div", { class: "workspace-menu", role: "menu", "aria-label": "Workspace menu" },
    item("Invite to workspace", "Invite to Workspace", () => app.setMenuOpen(false)),
    item("Open workspace settings panel", "Server Settings", () => app.openOverlay({
      // Planted fault: the "Server Settings" item opens the wrong (client) settings panel.
      kind: faultActive(WEB_FAULTS.SERVER_SETTINGS_OPENS_CLIENT_PANEL) ? "client-settings" : "workspace-settings",
    })),
    h("div", { class: "workspace-menu-separator", role: "separator", "aria-hidden": "true" }),
    item("Notification settings coming soon", ["Notification Settings", h("span", { class: "soon" }, "Soon")], null, { disabled: true }),
    item("Privacy settings coming soon", ["Privacy Settings", h("span", { class: "soon" }, "Soon")], null, { disabled: true }));
  return h("div", { class: "workspace-menu-anchor" }, trigger, menu);
}

function renderChannelList(app, ws) {
  const canCreate = app.can("manage_channel_overrides");
  const group = (kind, caption, createLabel) => [
    h("div", { class: "channel-group-header" }, h("span", {}, caption),
      canCreate && h("button", { type: "button", class: "channel-create", "aria-label": createLabel,
        onclick: () => app.openOverlay({ kind: "create-channel", channelKind: kind }) }, "+")),
    ws.channels.filter((c) => c.kind === kind).map((c) => h("button", {
      type: "button",
      class: ["channel-button", c.channelId === app.state.activeChannelId && "active"],
      // Text rows are named "#<name>" while showing "<name>"; voice rows are just "<name>".
      "aria-label": kind === "text" ? `#${c.name}` : c.name,
      onclick: () => app.selectChannel(ws.guildId, c.channelId),
    }, c.name)),
  ];
  return h("nav", { class: "channel-list", "aria-label": "channels" },
    group("text", "TEXT CHANNELS", "Create text channel"),
    group("voice", "VOICE CHANNELS", "Create voice channel"));
}

function renderFooter(app) {
  const me = app.state.me;
  const name = me ? me.username : "unknown-user";
  const color = me && app.userColor(me.userId);
  const avatar = me
    ? h("button", { type: "button", class: "account-avatar", "aria-label": `Open ${me.username} profile`,
      onclick: () => app.openOverlay({ kind: "user-profile", userId: me.userId, noEscape: true }) },
    me.avatarVersion > 0 ? h("img", { src: api.avatarUrl(me.userId, me.avatarVersion), alt: `${me.username} avatar` }) : initials(me.username))
    : h("span", { class: "account-avatar", "aria-hidden": "true" }, "?");
  // Planted fault: the client-settings gear is simply not rendered.
  const gear = faultActive(WEB_FAULTS.GEAR_MISSING) ? null : h("button", {
    type: "button", class: "account-gear", "aria-label": "Open client settings panel", title: "Client settings",
    onclick: () => app.openOverlay({ kind: "client-settings" }),
  }, h("span", { "aria-hidden": "true" }, "⚙"));
  return h("footer", { class: "account-bar", "aria-label": "Account controls" },
    avatar,
    h("div", { class: "account-meta" },
      h("p", { class: "account-name", style: color ? { color } : null }, name),
      h("p", { class: "account-status" }, app.state.gatewayLive ? "Online" : "Offline")),
    gear);
}

// ---------------------------------------------------------------------------------------------------
// Chat header

function chatHeaderKey(app, s) {
  const channel = app.activeChannel();
  return JSON.stringify([channel && channel.name, s.gatewayLive, s.channelRailCollapsed, s.memberRailOpen, s.refreshingSession]);
}

function renderChatHeader(app) {
  const channel = app.activeChannel();
  const { gatewayLive, channelRailCollapsed, memberRailOpen, refreshingSession } = app.state;
  const button = (text, onclick, extra = {}) => h("button", { type: "button", class: "header-action", onclick, ...extra }, text);
  return [
    h("div", { class: "chat-title" },
      h("h3", {}, channel ? channel.name : "no-channel"),
      h("span", { class: ["gateway-badge", gatewayLive && "live"], title: gatewayLive ? "Gateway connected" : "Gateway disconnected" },
        gatewayLive ? "Live" : "Offline")),
    h("div", { class: "chat-actions" },
      button(channelRailCollapsed ? "Show channels" : "Hide channels", () => app.toggle("channelRailCollapsed")),
      button(memberRailOpen ? "Hide workspace tools rail" : "Show workspace tools rail", () => app.toggle("memberRailOpen")),
      button("Directory", () => app.openOverlay({ kind: "directory" })),
      button("Friends", () => app.openOverlay({ kind: "friendships" })),
      button("Refresh", () => app.refreshMessages(), { title: "Refresh messages" }),
      button(refreshingSession ? "Refreshing..." : "Refresh session", () => app.refreshSession(), { disabled: refreshingSession }),
      button("Logout", () => app.logout())),
  ];
}

// ---------------------------------------------------------------------------------------------------
// Composer: persistent textarea (never re-created, so the draft survives re-renders)

function createComposer(app) {
  let sending = false;
  const textarea = h("textarea", { class: "composer-input", rows: "1", maxlength: "2000" });
  const send = h("button", { type: "submit", class: "composer-send", "aria-label": "Send message", tabindex: "-1" }, "Send");
  const form = h("form", { class: "composer", onsubmit: submit }, textarea, send);

  // Enter submits, Shift+Enter inserts a newline.
  textarea.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  });

  async function submit(event) {
    event.preventDefault();
    if (sending || textarea.disabled) return;
    sending = true;
    send.setAttribute("aria-label", "Sending...");
    const ok = await app.sendMessage(textarea.value);
    if (ok) textarea.value = "";
    sending = false;
    send.setAttribute("aria-label", "Send message");
  }

  return {
    el: form,
    render() {
      const channel = app.activeChannel();
      const placeholder = !channel ? "Select channel" : channel.kind === "text" ? `Message #${channel.name}` : `Message ${channel.name}`;
      if (textarea.placeholder !== placeholder) textarea.placeholder = placeholder;
      textarea.disabled = !channel || !app.can("create_message");
    },
  };
}

// ---------------------------------------------------------------------------------------------------
// Member rail ("Workspace Tools"), hidden by default

function memberRailKey(app, s) {
  if (!s.memberRailOpen) return "closed";
  return JSON.stringify([s.me && [s.me.userId, s.me.username], [...s.presence].map((id) => [id, app.userLabel(id), app.userColor(id)]),
    Boolean(app.activeChannel())]);
}

function renderMemberRail(app) {
  if (!app.state.memberRailOpen) return [];
  const { me, presence } = app.state;
  const online = [...presence];
  return [
    h("h4", {}, "Workspace Tools"),
    h("div", { class: "profile-card" },
      h("p", { class: "field-label" }, "Username"), h("p", { class: "field-value" }, me ? me.username : "unknown-user"),
      h("p", { class: "field-label" }, "User ID"), h("p", { class: "field-value mono" }, me ? me.userId : "")),
    app.activeChannel() ? null : h("p", {}, "No authorized workspace/channel selected for operator actions."),
    h("p", { class: "caption" }, `ONLINE (${online.length})`),
    online.length
      ? h("ul", { class: "online-list" }, online.map((id) => {
        const color = app.userColor(id);
        return h("li", { style: color ? { color } : null }, app.userLabel(id));
      }))
      : h("p", { class: "placeholder" }, "no-presence-yet"),
    h("button", { type: "button", onclick: () => app.openOverlay({ kind: "directory" }) }, "Open directory panel"),
    h("button", { type: "button", onclick: () => app.openOverlay({ kind: "friendships" }) }, "Open friendships panel"),
  ];
}
