// The message list (WEB_UI.md §2 "Message list"): `section.message-list` with one `article.message-row`
// per message, keyed by message id. Each row updates only the parts whose data changed, so an open
// edit textarea keeps its draft and focus while remote events re-render the rest.

import { h, initials, setChildren } from "./dom.js";
import { renderMarkdown } from "./markdown.js";

const NEAR_BOTTOM_PX = 80;

export class MessageListView {
  constructor(app) {
    this.app = app;
    this.rows = new Map(); // messageId -> MessageRow
    this.olderSlot = h("div", { class: "message-history" });
    this.emptySlot = h("p", { class: "message-empty" }, "No messages yet in this channel.");
    this.el = h("section", { class: "message-list", "aria-live": "polite" }, this.olderSlot, this.emptySlot);
    this.lastOlderKey = null;
  }

  render(state, visible) {
    this.el.hidden = !visible;
    const nearBottom = this.el.scrollHeight - this.el.scrollTop - this.el.clientHeight < NEAR_BOTTOM_PX;
    const lastBefore = this.el.lastElementChild;

    this.renderOlderButton(state);
    this.emptySlot.hidden = !(state.messagesLoaded && state.messages.length === 0);

    const wanted = new Set(state.messages.map((m) => m.messageId));
    for (const [id, row] of this.rows) {
      if (!wanted.has(id)) {
        row.el.remove();
        this.rows.delete(id);
      }
    }
    let anchor = this.emptySlot;
    for (const message of state.messages) {
      let row = this.rows.get(message.messageId);
      if (!row) {
        row = new MessageRow(this.app);
        this.rows.set(message.messageId, row);
      }
      row.update(message, state);
      if (anchor.nextElementSibling !== row.el) anchor.after(row.el);
      anchor = row.el;
    }
    // Follow new messages only when the reader was already at the bottom.
    if (nearBottom && this.el.lastElementChild !== lastBefore) this.el.scrollTop = this.el.scrollHeight;
  }

  renderOlderButton(state) {
    const key = `${Boolean(state.olderCursor)}:${state.loadingOlder}`;
    if (key === this.lastOlderKey) return;
    this.lastOlderKey = key;
    setChildren(this.olderSlot, state.olderCursor
      ? h("button", { type: "button", class: "load-older", disabled: state.loadingOlder, onclick: () => this.app.loadOlderMessages() },
        state.loadingOlder ? "Loading older..." : "Load older messages")
      : null);
  }
}

class MessageRow {
  constructor(app) {
    this.app = app;
    this.keys = {};
    this.editor = null;
    this.avatar = h("button", { type: "button", class: "message-avatar" });
    this.author = h("strong", { class: "message-author" });
    this.time = h("span", { class: "message-time" });
    this.body = h("div", { class: "safe-markdown message-markdown" });
    this.editorSlot = h("div", { class: "message-editor-slot" });
    this.reactions = h("div", { class: "message-reactions" });
    this.actions = h("div", { class: "message-hover-actions" });
    this.el = h("article", { class: "message-row" },
      this.avatar,
      h("div", { class: "message-main" }, h("p", { class: "message-meta" }, this.author, this.time), this.body, this.editorSlot, this.reactions),
      this.actions);
  }

  /** Re-render a part only when its key changed. */
  part(name, key, render) {
    if (this.keys[name] === key) return;
    this.keys[name] = key;
    render();
  }

  update(message, state) {
    const app = this.app;
    const label = app.userLabel(message.authorId);
    const color = app.userColor(message.authorId);
    const isAuthor = Boolean(state.me && state.me.userId === message.authorId);
    const canEdit = isAuthor || app.can("delete_message");
    const editing = Boolean(state.editing && state.editing.messageId === message.messageId);

    this.part("author", `${label}|${color}`, () => {
      this.avatar.setAttribute("aria-label", `Open ${label} profile`);
      this.avatar.textContent = initials(label);
      this.avatar.onclick = () => app.openOverlay({ kind: "user-profile", userId: message.authorId, noEscape: true });
      this.author.textContent = label;
      this.author.style.color = color || "";
    });
    this.part("time", message.createdAtUnix, () => {
      this.time.textContent = new Date(message.createdAtUnix * 1000).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
    });
    // Content and tokens are replaced (never mutated) on edits, so identity tells us when to re-render.
    if (this.keys.content !== message.content || this.keys.tokens !== message.tokens) {
      this.keys.content = message.content;
      this.keys.tokens = message.tokens;
      renderMarkdown(this.body, message.tokens, message.content);
    }
    this.part("reactions", JSON.stringify(message.reactions), () => {
      setChildren(this.reactions, message.reactions.map((r) => h("button", {
        // "Reacted by me" is only a class difference (WEB_UI.md §2: no aria-pressed).
        type: "button", class: ["reaction-chip", r.reactedByMe && "mine"],
        "aria-label": `${r.emoji} reaction (${r.count})`,
        onclick: () => app.react(message.messageId, r.emoji, r.reactedByMe),
      }, `${r.emoji} ${r.count}`)));
    });
    this.part("actions", `${canEdit}|${editing}`, () => {
      setChildren(this.actions,
        h("button", { type: "button", "aria-label": "Add reaction", "data-reaction-anchor-for": message.messageId,
          onclick: () => app.openOverlay({ kind: "reaction-picker", messageId: message.messageId }) }, h("span", { "aria-hidden": "true" }, "☺")),
        canEdit && !editing && h("button", { type: "button", "aria-label": "Edit message", onclick: () => app.startEditing(message.messageId) },
          h("span", { "aria-hidden": "true" }, "✎")),
        canEdit && h("button", { type: "button", "aria-label": "Delete message", onclick: () => app.deleteMessage(message.messageId) },
          h("span", { "aria-hidden": "true" }, "✕")));
    });
    this.renderEditor(message, editing, state);
  }

  /**
   * Edit mode (WEB_UI.md §2): an unnamed textarea seeded once with the content (remote updates never
   * overwrite the draft), `Save` / `Saving...` and `Cancel`. Enter does not submit the edit.
   */
  renderEditor(message, editing, state) {
    this.body.hidden = editing;
    if (!editing) {
      if (this.editor) {
        this.editor = null;
        setChildren(this.editorSlot);
      }
      return;
    }
    if (this.editor) return;
    const textarea = h("textarea", { class: "message-edit-input", maxlength: "2000", value: state.editing.draft });
    const saveButton = h("button", { type: "button" }, "Save");
    saveButton.addEventListener("click", async () => {
      saveButton.disabled = true;
      saveButton.textContent = "Saving...";
      await this.app.saveEdit(message.messageId, textarea.value);
      // On success the editor is gone; on failure it stays open for another try.
      saveButton.disabled = false;
      saveButton.textContent = "Save";
    });
    textarea.addEventListener("input", () => {
      if (this.app.state.editing) this.app.state.editing.draft = textarea.value;
    });
    textarea.addEventListener("keydown", (event) => {
      if (event.key === "Escape") {
        event.stopPropagation();
        this.app.cancelEditing();
      }
    });
    this.editor = h("div", { class: "message-editor" }, textarea,
      h("div", { class: "message-editor-actions" },
        saveButton,
        h("button", { type: "button", onclick: () => this.app.cancelEditing() }, "Cancel")));
    setChildren(this.editorSlot, this.editor);
    textarea.focus();
  }
}
