// Planted web faults (UI bugs the harness must catch). The reference server lists the enabled ones in
// window.__FILAMENT_REFERENCE__.webFaults (see /assets/reference-config.js). A missing or malformed
// global means "no faults". Each fault is read in exactly one place in the code, via `faultActive`.

export const WEB_FAULTS = Object.freeze({
  // The client-settings gear is not rendered in the account footer (view-shell.js, renderFooter).
  GEAR_MISSING: "web.gear_missing",
  // The "Server Settings" menuitem opens the Client settings panel (view-shell.js, workspace menu).
  SERVER_SETTINGS_OPENS_CLIENT_PANEL: "web.server_settings_opens_client_panel",
  // workspace_update events are ignored (app.js, onWorkspaceUpdate).
  RENAME_NOT_APPLIED: "web.rename_not_applied",
  // message_update events are ignored (app.js, onMessageUpdate).
  EDIT_NOT_APPLIED: "web.edit_not_applied",
  // An unknown event type kills the frame handler: every later frame is lost (gateway.js, handleFrame).
  CRASH_ON_UNKNOWN_EVENT: "web.crash_on_unknown_event",
});

const enabled = (() => {
  const config = window.__FILAMENT_REFERENCE__;
  const list = config && Array.isArray(config.webFaults) ? config.webFaults : [];
  return new Set(list.filter((name) => typeof name === "string"));
})();

export function faultActive(name) {
  return enabled.has(name);
}
