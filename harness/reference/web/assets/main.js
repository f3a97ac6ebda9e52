// Entry point and router (WEB_UI.md §1 "Routes"): `/` → `/app` with a live session, else `/login`;
// `/login` → `/app` when already logged in; `/app` is guarded; anything else → `/`. There are no
// per-workspace URLs: selection lives in memory only.

import { App } from "./app.js";
import { activeSession } from "./session.js";
import { mountLogin } from "./view-login.js";
import { mountShell } from "./view-shell.js";

const root = document.getElementById("root");
let mounted = null; // {path, destroy()}

function navigate(path, { replace = false } = {}) {
  if (window.location.pathname !== path) {
    if (replace) window.history.replaceState(null, "", path);
    else window.history.pushState(null, "", path);
  }
  route();
}

function route() {
  const path = window.location.pathname;
  const session = activeSession();
  if (path === "/") return navigate(session ? "/app" : "/login", { replace: true });
  if (path === "/login" && session) return navigate("/app", { replace: true });
  if (path === "/app" && !session) return navigate("/login", { replace: true });
  if (path !== "/login" && path !== "/app") return navigate("/", { replace: true });
  if (mounted && mounted.path === path) return undefined;

  if (mounted) mounted.destroy();
  mounted = path === "/login" ? { path, ...mountLogin(root, { navigate }) } : { path, ...mountApp(session) };
  return undefined;
}

function mountApp(session) {
  let shell = null;
  const app = new App({ session, navigate, onChange: (state) => shell && shell.render(state) });
  shell = mountShell(root, app);
  shell.render(app.state);
  app.boot();
  return {
    destroy() {
      app.destroy();
      shell.destroy();
    },
  };
}

window.addEventListener("popstate", route);
route();
