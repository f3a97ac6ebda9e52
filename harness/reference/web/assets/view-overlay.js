// Overlay host (WEB_UI.md §2 "Other dialogs", §3 "Closing"): `div.panel-backdrop[role=presentation]` >
// `section[role=dialog][aria-modal=true]` with `header.panel-window-header` (h4 title + `Close`) and
// `div.panel-window-body`. Only one overlay exists at a time; a new `state.overlay` object builds a new
// panel (so every opening takes a fresh snapshot), and the panel's `update(state)` runs on re-renders.

import { h, setChildren } from "./dom.js";
import { PANEL_FACTORIES } from "./view-panels.js";
import { createClientSettingsPanel, createWorkspaceSettingsPanel } from "./view-settings.js";

const FACTORIES = {
  ...PANEL_FACTORIES,
  "client-settings": createClientSettingsPanel,
  "workspace-settings": createWorkspaceSettingsPanel,
};

export function createOverlayHost(app) {
  const el = h("div", { class: "overlay-host" });
  let current = null; // {overlay, panel}

  return {
    el,
    render(state) {
      const overlay = state.overlay;
      if (!overlay || !Object.hasOwn(FACTORIES, overlay.kind)) {
        if (current) setChildren(el);
        current = null;
        return;
      }
      if (!current || current.overlay !== overlay) {
        const panel = FACTORIES[overlay.kind](app, overlay);
        current = { overlay, panel };
        setChildren(el, frame(app, overlay, panel));
      }
      if (current.panel.update) current.panel.update(state);
    },
  };
}

function frame(app, overlay, panel) {
  const dialog = h("section", {
    role: "dialog", "aria-modal": "true", "aria-label": panel.label,
    class: ["panel-window", panel.wide && "panel-window-wide"],
  },
  h("header", { class: "panel-window-header" },
    h("h4", {}, panel.title),
    // The forced first-workspace dialog cannot be closed.
    h("button", { type: "button", class: "panel-close", disabled: Boolean(overlay.forced), onclick: () => app.closeOverlay() }, "Close")),
  h("div", { class: "panel-window-body" }, panel.body));
  const backdrop = h("div", { class: "panel-backdrop", role: "presentation" }, dialog);
  // Only a click that both starts and ends on the backdrop itself (outside the dialog) closes the
  // overlay; a text selection dragged out of the dialog must not.
  let pressedOnBackdrop = false;
  backdrop.addEventListener("pointerdown", (event) => {
    pressedOnBackdrop = event.target === backdrop;
  });
  backdrop.addEventListener("click", (event) => {
    if (pressedOnBackdrop && event.target === backdrop) app.closeOverlay();
    pressedOnBackdrop = false;
  });
  return backdrop;
}
