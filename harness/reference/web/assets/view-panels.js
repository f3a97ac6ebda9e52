// Overlay panels other than the two settings dialogs (WEB_UI.md §2 "Other dialogs"): create workspace,
// create channel, friendships, public directory, user profile and the reaction picker. Each factory
// returns {label, title, body, update?(state)}; view-overlay.js wraps it in the dialog frame.

import { h, setChildren } from "./dom.js";

const REACTION_CHOICES = ["👍", "❤️", "😂", "🎉", "👀", "🔥", "✅", "🙏"];

/** `<label><span>text</span>control</label>`: the label text is the control's accessible name. */
export function field(text, control, extra = {}) {
  return h("label", { class: "field", ...extra }, h("span", { class: "field-label" }, text), control);
}

export function select(options, value, attrs = {}) {
  return h("select", attrs, options.map((o) => h("option", { value: o, selected: o === value }, o)));
}

/**
 * Run an async form action with a busy label on `button` and an error line in `alert`. The action
 * throws Error(message) with user-facing text (app.js converts API errors).
 */
export async function runBusy(button, busyText, alert, action) {
  const idleText = button.textContent;
  button.disabled = true;
  button.textContent = busyText;
  alert.textContent = "";
  try {
    return await action();
  } catch (err) {
    alert.textContent = err && err.message ? err.message : "Unexpected error. Please retry.";
    return undefined;
  } finally {
    button.disabled = false;
    button.textContent = idleText;
  }
}

function createWorkspacePanel(app, overlay) {
  const name = h("input", { type: "text", value: "Security Ops", maxlength: "64", required: true });
  const visibility = select(["private", "public"], "private");
  const channelName = h("input", { type: "text", value: "incident-room", maxlength: "64", required: true });
  const kind = select(["text", "voice"], "text");
  const submit = h("button", { type: "submit", class: "primary" }, "Create workspace");
  const alert = h("p", { role: "alert", class: "panel-error" });
  const form = h("form", { class: "panel-form", onsubmit: (event) => {
    event.preventDefault();
    runBusy(submit, "Creating...", alert, () => app.createWorkspace({
      name: name.value, visibility: visibility.value, channelName: channelName.value, kind: kind.value,
    }));
  } },
  field("Workspace name", name), field("Visibility", visibility), field("First channel", channelName), field("Channel type", kind),
  alert,
  h("div", { class: "panel-actions" }, submit,
    // The forced first-workspace dialog has no Cancel (and a disabled Close).
    overlay.forced ? null : h("button", { type: "button", onclick: () => app.closeOverlay() }, "Cancel")));
  return { label: "Create workspace panel", title: "Create workspace", body: form };
}

function createChannelPanel(app, overlay) {
  const name = h("input", { type: "text", value: "backend", maxlength: "64", required: true });
  const kind = select(["text", "voice"], overlay.channelKind === "voice" ? "voice" : "text");
  const submit = h("button", { type: "submit", class: "primary" }, "Create channel");
  const alert = h("p", { role: "alert", class: "panel-error" });
  const form = h("form", { class: "panel-form", onsubmit: (event) => {
    event.preventDefault();
    runBusy(submit, "Creating...", alert, () => app.createChannel({ name: name.value, kind: kind.value }));
  } },
  field("Channel name", name), field("Channel type", kind), alert,
  h("div", { class: "panel-actions" }, submit, h("button", { type: "button", onclick: () => app.closeOverlay() }, "Cancel")));
  return { label: "Create channel panel", title: "Create channel", body: form };
}

/** Friendships: state-backed lists, so gateway friend events show up while the dialog is open. */
function createFriendshipsPanel(app) {
  const userId = h("input", { type: "text", placeholder: "01ARZ3NDEKTSV4RRFFQ69G5FAV", maxlength: "26", required: true });
  const submit = h("button", { type: "submit", class: "primary" }, "Send request");
  const status = h("p", { role: "status", class: "panel-status" });
  const alert = h("p", { role: "alert", class: "panel-error" });
  const form = h("form", { class: "panel-form inline", onsubmit: async (event) => {
    event.preventDefault();
    status.textContent = "";
    const sent = await runBusy(submit, "Submitting...", alert, async () => {
      await app.sendFriendRequest(userId.value);
      return true;
    });
    if (sent) {
      userId.value = "";
      status.textContent = "Friend request sent.";
    }
  } }, field("User ID", userId), submit);
  const lists = h("div", { class: "friend-lists" });
  let lastKey = null;

  const person = (username, id, ...buttons) => h("li", { class: "friend-row" },
    h("span", { class: "friend-name" }, username), h("span", { class: "friend-id mono" }, id),
    h("span", { class: "friend-actions" }, buttons));
  const button = (text, onclick) => h("button", { type: "button", onclick }, text);
  const section = (caption, rows, placeholder) => h("section", { class: "friend-section" },
    h("p", { class: "caption" }, caption),
    rows.length ? h("ul", {}, rows) : h("p", { class: "placeholder" }, placeholder));

  return {
    label: "Friendships panel",
    title: "Friendships",
    body: h("div", { class: "friendships" }, form, status, alert, lists),
    update(state) {
      const key = JSON.stringify([state.incoming, state.outgoing, state.friends]);
      if (key === lastKey) return;
      lastKey = key;
      setChildren(lists,
        section("INCOMING", state.incoming.map((r) => person(r.senderUsername, r.senderId,
          button("Accept", () => app.acceptFriendRequest(r)), button("Ignore", () => app.deleteFriendRequest(r.requestId)))),
        "no-incoming-requests"),
        section("OUTGOING", state.outgoing.map((r) => person(r.recipientUsername, r.recipientId,
          button("Cancel", () => app.deleteFriendRequest(r.requestId)))), "no-outgoing-requests"),
        section("FRIEND LIST", state.friends.map((f) => person(f.username, f.userId,
          button("Remove", () => app.removeFriend(f.userId)))), "no-friends"));
    },
  };
}

const JOIN_LABELS = { joining: "Joining...", joined: "Joined", blocked: "Join blocked" };

function createDirectoryPanel(app) {
  const query = h("input", { type: "search", placeholder: "workspace name", maxlength: "64" });
  const submit = h("button", { type: "submit", class: "primary" }, "Find public");
  const alert = h("p", { role: "alert", class: "panel-error" });
  const form = h("form", { class: "panel-form inline", onsubmit: (event) => {
    event.preventDefault();
    runBusy(submit, "Searching...", alert, () => app.searchPublic(query.value));
  } }, field("Search", query), submit);
  const results = h("div", { class: "directory-results" });
  let lastKey = null;

  return {
    label: "Public workspace directory panel",
    title: "Public workspace directory",
    body: h("div", { class: "directory" }, form, alert, results),
    update(state) {
      const key = JSON.stringify([state.publicGuilds, [...state.joinStatus]]);
      if (key === lastKey) return;
      lastKey = key;
      setChildren(results, state.publicGuilds.length
        ? h("ul", {}, state.publicGuilds.map((g) => {
          const status = state.joinStatus.get(g.guildId);
          return h("li", { class: "directory-row" },
            h("span", { class: "directory-name" }, g.name), h("span", { class: "directory-visibility" }, g.visibility),
            h("button", { type: "button", disabled: Boolean(status), onclick: () => {
              app.joinPublic(g.guildId).catch((err) => {
                alert.textContent = err.message;
              });
            } }, JOIN_LABELS[status] || "Join"));
        }))
        : h("p", { class: "placeholder" }, "no-public-workspaces"));
    },
  };
}

function createUserProfilePanel(app, overlay) {
  const body = h("div", { class: "user-profile" });
  let lastKey = null;
  return {
    label: "User profile panel",
    title: "User profile",
    body,
    update() {
      const label = app.userLabel(overlay.userId);
      if (label === lastKey) return;
      lastKey = label;
      setChildren(body,
        h("p", { class: "field-label" }, "Username"), h("p", { class: "field-value" }, label),
        h("p", { class: "field-label" }, "User ID"), h("p", { class: "field-value mono" }, overlay.userId));
    },
  };
}

function createReactionPicker(app, overlay) {
  return {
    label: "Choose reaction",
    title: "Choose reaction",
    body: h("div", { class: "reaction-picker" }, REACTION_CHOICES.map((emoji) => h("button", {
      type: "button", class: "reaction-choice", onclick: () => {
        app.closeOverlay();
        app.react(overlay.messageId, emoji);
      },
    }, emoji))),
  };
}

export const PANEL_FACTORIES = {
  "create-workspace": createWorkspacePanel,
  "create-channel": createChannelPanel,
  friendships: createFriendshipsPanel,
  directory: createDirectoryPanel,
  "user-profile": createUserProfilePanel,
  "reaction-picker": createReactionPicker,
};
