// Login / registration page (WEB_UI.md §1 "Page anatomy"). Register never logs in: on success the page
// shows "Account accepted. Continue with login.", flips back to login mode and keeps the typed values.

import { api, describeAuthError } from "./api.js";
import { h, setChildren } from "./dom.js";
import { saveAuthResponse } from "./session.js";

const USERNAME_RE = /^[A-Za-z0-9_.]{3,32}$/;

const MODES = {
  login: { heading: "Welcome Back", subtitle: "Login to enter your workspace.", submit: "Login", autocomplete: "current-password" },
  register: { heading: "Create Account", subtitle: "Register with a valid username and strong password.", submit: "Create account", autocomplete: "new-password" },
};

export function mountLogin(root, { navigate }) {
  let mode = "login";
  let busy = false;

  const heading = h("h1");
  const subtitle = h("p", { class: "auth-subtitle" });
  const loginButton = h("button", { type: "button", onclick: () => setMode("login") }, "Login");
  const registerButton = h("button", { type: "button", onclick: () => setMode("register") }, "Register");
  const username = h("input", {
    name: "username", type: "text", autocomplete: "username", required: true, maxlength: "32",
    pattern: "[A-Za-z0-9_.]{3,32}",
  });
  const password = h("input", { name: "password", type: "password", required: true, minlength: "12", maxlength: "128" });
  const submit = h("button", { type: "submit" });
  const status = h("p", { role: "status", class: "auth-status" });
  const error = h("p", { role: "alert", class: "auth-error" });
  const form = h("form", { class: "auth-form", onsubmit: onSubmit },
    h("label", {}, h("span", {}, "Username"), username),
    h("label", {}, h("span", {}, "Password"), password),
    submit);

  setChildren(root, h("div", { class: "auth-page" },
    h("section", { class: "auth-card" },
      h("header", { class: "auth-header" }, h("p", { class: "auth-eyebrow" }, "Filament"), heading, subtitle),
      // A tablist of plain buttons, exactly like the real client (no role=tab, no aria-selected).
      h("div", { class: "auth-mode-switch", role: "tablist", "aria-label": "Authentication mode" }, loginButton, registerButton),
      form, status, error)));
  render();

  function setMode(next) {
    mode = next;
    error.textContent = "";
    render();
  }

  function render() {
    const m = MODES[mode];
    heading.textContent = m.heading;
    subtitle.textContent = m.subtitle;
    loginButton.className = mode === "login" ? "auth-mode active" : "auth-mode";
    registerButton.className = mode === "register" ? "auth-mode active" : "auth-mode";
    password.autocomplete = m.autocomplete;
    submit.textContent = busy ? "Working..." : m.submit;
    submit.disabled = busy;
  }

  async function onSubmit(event) {
    event.preventDefault();
    if (busy) return;
    status.textContent = "";
    error.textContent = "";
    const name = username.value.trim();
    if (!USERNAME_RE.test(name)) {
      error.textContent = "Username must be 3-32 chars and contain only letters, numbers, '_' or '.'.";
      return;
    }
    if (password.value.length < 12 || password.value.length > 128) {
      error.textContent = "Password must be 12-128 characters.";
      return;
    }
    busy = true;
    render();
    try {
      if (mode === "register") {
        const body = await api.register(name, password.value);
        if (!body || body.accepted !== true) throw new Error("unexpected register response");
        mode = "login";
        status.textContent = "Account accepted. Continue with login.";
      } else {
        const auth = await api.login(name, password.value);
        if (!auth || typeof auth.access_token !== "string" || typeof auth.refresh_token !== "string"
          || !Number.isInteger(auth.expires_in_secs)) throw new Error("unexpected login response");
        saveAuthResponse(auth);
        navigate("/app", { replace: true });
        return;
      }
    } catch (err) {
      error.textContent = describeAuthError(err);
    } finally {
      busy = false;
      if (root.isConnected) render();
    }
  }

  return { destroy() {} };
}
