// The two settings dialogs of the settings split (WEB_UI.md §3). Client settings holds only per-user
// controls (Voice, Profile); Workspace settings holds only workspace controls. Neither contains the
// other's controls; the harness asserts exactly that.

import { api } from "./api.js";
import { h, setChildren } from "./dom.js";
import { renderMarkdown } from "./markdown.js";
import { field, runBusy, select } from "./view-panels.js";

const VOICE_SETTINGS_KEY = "filament.voice.settings.v1";
const ABOUT_MAX = 2048;
const BANNER_TYPES = ["image/jpeg", "image/png", "image/webp", "image/gif", "image/avif"];
const BANNER_MAX_BYTES = 6 * 1024 * 1024;
const DEVICE_PROMPT_TIMEOUT_MS = 5000;

// ---------------------------------------------------------------------------------------------------
// Shared: the category / section / submenu buttons of both dialogs

/** A settings navigation button: accessible name `label`, visible title and hint. */
function navButton(label, title, hint, onclick) {
  return h("button", { type: "button", class: "settings-category", "aria-label": label, onclick },
    h("span", { class: "settings-category-title" }, title), h("span", { class: "settings-category-hint" }, hint));
}

/** Mark `active` with aria-current="page" and clear it on the other `buttons`. */
function markCurrent(buttons, active) {
  for (const button of buttons) {
    if (button === active) button.setAttribute("aria-current", "page");
    else button.removeAttribute("aria-current");
  }
}

// ---------------------------------------------------------------------------------------------------
// Client settings

export function createClientSettingsPanel(app) {
  let category = "voice"; // opens on Voice → Audio Devices every time
  const choose = (id) => () => {
    category = id;
    showCategory();
  };
  const voiceButton = navButton("Open Voice settings category", "Voice", "Audio devices and call behavior.", choose("voice"));
  const profileButton = navButton("Open Profile settings category", "Profile", "Username, about, and avatar.", choose("profile"));
  const voice = createVoiceCategory();
  const profile = createProfileCategory(app);
  const pane = h("section", { class: "settings-content", "aria-label": "Settings content pane" });

  function showCategory() {
    markCurrent([voiceButton, profileButton], category === "voice" ? voiceButton : profileButton);
    setChildren(pane, category === "voice" ? voice.el : profile.el);
    if (category === "voice") voice.enumerate(false);
  }
  showCategory();

  return {
    label: "Client settings panel",
    title: "Client settings",
    wide: true,
    body: h("section", { class: "settings-layout", "aria-label": "settings" },
      h("aside", { class: "settings-rail", "aria-label": "Settings category rail" },
        h("p", { class: "caption" }, "CATEGORIES"), voiceButton, profileButton),
      pane),
    update: (state) => profile.update(state),
  };
}

function loadVoiceSettings() {
  try {
    const parsed = JSON.parse(window.localStorage.getItem(VOICE_SETTINGS_KEY) || "{}");
    return parsed && typeof parsed === "object" ? parsed : {};
  } catch {
    return {};
  }
}

function createVoiceCategory() {
  const mic = h("select", { "aria-label": "Select microphone device" });
  const speaker = h("select", { "aria-label": "Select speaker device" });
  const hint = h("p", { class: "settings-hint" });
  const refresh = h("button", { type: "button", onclick: () => enumerate(true) }, "Refresh devices");
  const save = () => {
    try {
      window.localStorage.setItem(VOICE_SETTINGS_KEY, JSON.stringify({ audioInputDeviceId: mic.value || null, audioOutputDeviceId: speaker.value || null }));
    } catch {
      // preferences are best effort
    }
  };
  mic.addEventListener("change", save);
  speaker.addEventListener("change", save);

  const fill = (el, devices, selected) => setChildren(el,
    h("option", { value: "" }, "System default"),
    devices.map((d, i) => h("option", { value: d.deviceId, selected: d.deviceId === selected }, d.label || `Device ${i + 1}`)));
  fill(mic, [], null);
  fill(speaker, [], null);

  /** List audio devices; `prompt` first asks for microphone access (bounded: headless may never answer). */
  async function enumerate(prompt) {
    const media = navigator.mediaDevices;
    if (!media || !media.enumerateDevices) {
      hint.textContent = "No audio devices were detected yet. Select Refresh devices to request microphone access, then retry.";
      return;
    }
    if (prompt) {
      refresh.textContent = "Refreshing...";
      refresh.disabled = true;
      try {
        const stream = await Promise.race([media.getUserMedia({ audio: true }),
          new Promise((_, reject) => setTimeout(() => reject(new Error("timeout")), DEVICE_PROMPT_TIMEOUT_MS))]);
        for (const track of stream.getTracks()) track.stop();
      } catch {
        // permission refused or unavailable: list whatever is visible
      }
    }
    let devices = [];
    try {
      devices = (await media.enumerateDevices()).filter((d) => d.deviceId && d.deviceId !== "default");
    } catch {
      devices = [];
    }
    const current = loadVoiceSettings();
    fill(mic, devices.filter((d) => d.kind === "audioinput"), current.audioInputDeviceId);
    fill(speaker, devices.filter((d) => d.kind === "audiooutput"), current.audioOutputDeviceId);
    hint.textContent = devices.length ? "" : "No audio devices were detected yet. Select Refresh devices to request microphone access, then retry.";
    refresh.textContent = "Refresh devices";
    refresh.disabled = false;
  }

  const audioDevices = navButton("Open Voice Audio Devices submenu", "Audio Devices", "Select microphone and speaker devices.");
  markCurrent([audioDevices], audioDevices); // the only submenu item
  const el = h("section", { class: "settings-submenu", "aria-label": "Voice settings submenu" },
    h("aside", { class: "settings-submenu-rail", "aria-label": "Voice settings submenu rail" },
      h("p", { class: "caption" }, "VOICE"),
      audioDevices),
    h("section", { class: "settings-submenu-content", "aria-label": "Voice settings submenu content" },
      h("p", { class: "caption" }, "AUDIO DEVICES"),
      field("Microphone", mic), field("Speaker", speaker), refresh, hint));
  return { el, enumerate };
}

function createProfileCategory(app) {
  const username = h("input", { type: "text", "aria-label": "Profile username", maxlength: "32" });
  const about = h("textarea", { "aria-label": "Profile about markdown", maxlength: String(ABOUT_MAX), rows: "4" });
  const counter = h("p", { role: "status", class: "settings-counter" });
  const save = h("button", { type: "submit", class: "primary" }, "Save profile");
  const status = h("p", { role: "status", class: "panel-status" });
  const alert = h("p", { role: "alert", class: "panel-error" });
  const bannerFile = h("input", { type: "file", "aria-label": "Profile banner file input", accept: BANNER_TYPES.join(",") });
  const avatarFile = h("input", { type: "file", "aria-label": "Profile avatar file input", accept: "image/*" });
  const bannerUpload = h("button", { type: "button" }, "Upload banner");
  const avatarUpload = h("button", { type: "button" }, "Upload avatar");
  const preview = h("div", { class: "profile-preview" });
  let fieldsRev = -1;
  let previewKey = null;

  const updateCounter = () => {
    counter.textContent = `${ABOUT_MAX - about.value.length} characters remaining (${about.value.length}/${ABOUT_MAX})`;
  };
  about.addEventListener("input", updateCounter);

  const form = h("form", { class: "panel-form", onsubmit: async (event) => {
    event.preventDefault();
    status.textContent = "";
    const ok = await runBusy(save, "Saving...", alert, async () => {
      await app.saveProfile(username.value, about.value);
      return true;
    });
    if (ok) status.textContent = "Profile updated.";
  } },
  field("Username", username), field("About (Markdown)", about), counter, save, status, alert);

  const upload = (kind, input, button, doneText) => async () => {
    status.textContent = "";
    const file = input.files && input.files[0];
    if (!file) {
      alert.textContent = `Choose a ${kind} image first.`;
      return;
    }
    if (kind === "banner" && (!BANNER_TYPES.includes(file.type) || file.size > BANNER_MAX_BYTES)) {
      alert.textContent = "Banner must be a JPEG, PNG, WEBP, GIF or AVIF image up to 6 MiB.";
      return;
    }
    const ok = await runBusy(button, "Uploading...", alert, async () => {
      await app.uploadProfileMedia(kind, file);
      return true;
    });
    if (ok) status.textContent = doneText;
  };
  bannerUpload.addEventListener("click", upload("banner", bannerFile, bannerUpload, "Profile banner updated."));
  avatarUpload.addEventListener("click", upload("avatar", avatarFile, avatarUpload, "Profile avatar updated."));

  const el = h("div", { class: "settings-profile" },
    h("p", { class: "caption" }, "PROFILE"),
    form,
    h("div", { class: "profile-media" },
      field("Banner image", bannerFile), bannerUpload,
      field("Avatar image", avatarFile), avatarUpload),
    h("p", { class: "caption" }, "PROFILE PREVIEW"),
    preview);

  return {
    el,
    update(state) {
      // Seed the fields on open, and overwrite them when a profile_update for self arrives.
      if (state.profileFieldsRev !== fieldsRev) {
        fieldsRev = state.profileFieldsRev;
        username.value = state.profileFields.username;
        about.value = state.profileFields.aboutMarkdown;
        updateCounter();
      }
      const me = state.me;
      const key = me ? JSON.stringify([me.username, me.userId, me.aboutMarkdown, me.avatarVersion, me.bannerVersion]) : "";
      if (key === previewKey) return;
      previewKey = key;
      setChildren(preview, me ? [
        me.bannerVersion > 0 ? h("img", { class: "profile-banner", src: api.bannerUrl(me.userId, me.bannerVersion), alt: `${me.username} banner` }) : null,
        me.avatarVersion > 0 ? h("img", { class: "profile-avatar", src: api.avatarUrl(me.userId, me.avatarVersion), alt: `${me.username} avatar` }) : null,
        h("p", { class: "preview-username" }, me.username),
        h("p", { class: "preview-user-id mono" }, me.userId),
        renderMarkdown(h("div", { class: "safe-markdown" }), me.aboutTokens, me.aboutMarkdown),
      ] : null);
    },
  };
}

// ---------------------------------------------------------------------------------------------------
// Workspace settings

const SECTIONS = [
  { id: "profile", label: "Open Server Profile workspace section", title: "Server Profile", hint: "Name, visibility, banner and card preview." },
  { id: "simulator", label: "Open Permission Simulator workspace section", title: "Permission Simulator", hint: "Preview the workspace as a role." },
  { id: "members", label: "Open Members workspace section", title: "Members", hint: "Role assignments per member." },
  { id: "roles", label: "Open Roles & Hierarchy workspace section", title: "Roles & Hierarchy", hint: "Roles and their order." },
];

export function createWorkspaceSettingsPanel(app) {
  // Snapshot at open time (WEB_UI.md §4): remote renames do not reach the open dialog.
  const ws = app.activeWorkspace();
  const snapshot = ws ? { guildId: ws.guildId, name: ws.name, visibility: ws.visibility } : null;
  const memberCount = app.state.members.size;
  let section = "profile";

  const draftCaption = h("p", { class: "workspace-draft-name" });
  const sectionButtons = SECTIONS.map((s) => navButton(s.label, s.title, s.hint, () => {
    section = s.id;
    showSection();
  }));
  const content = h("div", { class: "workspace-settings-content" });

  const name = h("input", { type: "text", "aria-label": "Workspace settings name", maxlength: "64", value: snapshot ? snapshot.name : "" });
  const visibility = select(["private", "public"], snapshot ? snapshot.visibility : "private", { "aria-label": "Workspace settings visibility" });
  const save = h("button", { type: "submit", class: "primary" }, "Save workspace");
  const note = h("p", { class: "settings-note" }, "You need workspace role-management permissions to update these settings.");
  const status = h("p", { role: "status", class: "panel-status" });
  const alert = h("p", { role: "alert", class: "panel-error" });
  const previewVisibility = h("span", {});
  const updateDraft = () => {
    draftCaption.textContent = name.value.trim() || "Untitled workspace";
    previewVisibility.textContent = visibility.value === "public" ? "Public" : "Private";
  };
  name.addEventListener("input", updateDraft);
  visibility.addEventListener("change", updateDraft);
  updateDraft();

  const profileSection = h("section", { class: "workspace-section", "aria-label": "workspace profile settings" },
    h("p", { class: "caption" }, "SERVER PROFILE"),
    h("h4", {}, "Server Profile"),
    h("form", { class: "panel-form", onsubmit: async (event) => {
      event.preventDefault();
      if (!snapshot || !permitted() || saving) return;
      status.textContent = "";
      saving = true;
      const ok = await runBusy(save, "Saving...", alert, async () => {
        await app.saveWorkspace(snapshot.guildId, name.value, visibility.value);
        return true;
      });
      saving = false;
      if (ok) status.textContent = "Workspace settings saved.";
      applyPermission(); // runBusy re-enabled the button unconditionally
    } },
    field("Name", name), field("Visibility", visibility), note, save, status, alert),
    h("div", { class: "workspace-preview" },
      h("p", { class: "caption" }, "PREVIEW"),
      h("p", {}, previewVisibility, " • ", `${memberCount} ${memberCount === 1 ? "Member" : "Members"}`)));

  const permitted = () => app.canManageWorkspace();
  let saving = false;
  function applyPermission() {
    const ok = permitted();
    name.disabled = !ok;
    visibility.disabled = !ok;
    save.disabled = !ok || saving;
    note.hidden = ok;
  }

  function showSection() {
    markCurrent(sectionButtons, sectionButtons[SECTIONS.findIndex((s) => s.id === section)]);
    if (section === "profile") setChildren(content, profileSection);
    else if (section === "members") setChildren(content, renderMembersSection(app));
    else if (section === "roles") setChildren(content, renderRolesSection(app));
    else setChildren(content, h("section", { class: "workspace-section", "aria-label": "workspace permission simulator" },
      h("h4", {}, "View As Role"), h("p", {}, "The permission simulator is not available in the reference client.")));
  }
  showSection();

  return {
    label: "Workspace settings panel",
    title: "Workspace settings",
    wide: true,
    body: h("section", { class: "settings-layout", "aria-label": "workspace settings" },
      h("aside", { class: "settings-rail", "aria-label": "Workspace settings navigation" },
        h("p", { class: "caption" }, "WORKSPACE"), draftCaption, sectionButtons,
        h("p", { class: "caption" }, "NOTES"), h("p", { class: "settings-hint" }, "Banner and trait edits are local preview controls only.")),
      content),
    // Permission changes do reach the open dialog (inputs enabled/disabled); names do not.
    update: () => applyPermission(),
  };
}

function renderMembersSection(app) {
  const { members, roles } = app.state;
  const roleName = (id) => (roles.find((r) => r.roleId === id) || { name: id }).name;
  const canEdit = app.can("manage_member_roles") || app.can("manage_roles");
  return h("section", { class: "workspace-section", "aria-label": "workspace members settings" },
    h("h4", {}, "Member Role Assignments"),
    canEdit ? null : h("p", { class: "settings-note" }, "You need member-role permissions to edit assignments."),
    members.size
      ? h("ul", { class: "member-list" }, [...members].map(([userId, roleIds]) => h("li", {},
        h("span", {}, app.userLabel(userId)), h("span", { class: "member-roles" }, roleIds.map(roleName).join(", ") || "—"))))
      : h("p", {}, "No members found in this workspace yet."));
}

function renderRolesSection(app) {
  return h("section", { class: "workspace-section", "aria-label": "workspace roles settings" },
    h("h4", {}, "Roles and Hierarchy"),
    h("ul", { class: "role-list" }, app.state.roles.map((r) => h("li", {},
      h("span", { style: r.colorHex ? { color: r.colorHex } : null }, r.name),
      h("span", { class: "role-position" }, `position ${r.position}`)))));
}
