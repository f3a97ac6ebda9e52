// Tiny DOM builder. Every string child becomes a text node, so user content is never parsed as HTML.

/**
 * h("button", {type: "button", "aria-label": "Close", onclick: fn}, "Close")
 * - attribute values of `false`, `null` or `undefined` are skipped, `true` sets an empty attribute;
 * - keys starting with "on" register event listeners;
 * - `class` may be a string or an array (falsy entries dropped);
 * - `style` may be an object of CSS properties;
 * - `value`, `checked`, `disabled` and `selected` are set as properties (they are live state on inputs).
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") {
      el.addEventListener(key.slice(2).toLowerCase(), value);
    } else if (key === "class") {
      el.className = Array.isArray(value) ? value.filter(Boolean).join(" ") : value;
    } else if (key === "style" && typeof value === "object") {
      Object.assign(el.style, value);
    } else if (key === "value" || key === "checked" || key === "selected") {
      el[key] = value;
    } else if (key === "disabled") {
      el.disabled = Boolean(value);
    } else {
      el.setAttribute(key, value === true ? "" : String(value));
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else if (child instanceof Node) el.appendChild(child);
    else el.appendChild(document.createTextNode(String(child)));
  }
}

/** Replace all children of `el` (same child rules as `h`). */
export function setChildren(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/** Initials glyph for avatar buttons: first two letters/digits of the label, upper-cased. */
export function initials(label) {
  const letters = String(label || "?").replace(/[^A-Za-z0-9]/g, "");
  return (letters.slice(0, 2) || "?").toUpperCase();
}
