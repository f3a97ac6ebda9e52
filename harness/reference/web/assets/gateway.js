// One gateway WebSocket (GATEWAY.md §1–§3, WEB_UI.md §4 "Preconditions"):
// - opened only for an active channel the user may create_message in (the caller decides);
// - on open: one `subscribe` per wanted channel (active channel + the workspace's voice channels);
// - "live" only after the `ready` frame; malformed frames are dropped silently;
// - reconnect with back-off 2 s, doubling up to 30 s; a new target (channel/workspace switch) closes the
//   socket and opens a new one. Missed events are never replayed (that is the real client's behaviour).

import { EVENT_DECODERS, parseEnvelope } from "./decoders.js";
import { faultActive, WEB_FAULTS } from "./faults.js";

const FIRST_RETRY_MS = 2000;
const MAX_RETRY_MS = 30000;

export class Gateway {
  /**
   * @param {object} hooks
   * @param {() => string|null} hooks.getToken  current access token (may change after a refresh)
   * @param {(live: boolean) => void} hooks.onStatus
   * @param {(type: string, payload: object, meta: {ready: boolean}) => void} hooks.onEvent  decoded events only
   */
  constructor({ getToken, onStatus, onEvent }) {
    this.getToken = getToken;
    this.onStatus = onStatus;
    this.onEvent = onEvent;
    this.target = null; // {key, subscriptions: () => [{guildId, channelId}]}
    this.socket = null;
    this.ready = false;
    this.retryMs = FIRST_RETRY_MS;
    this.retryTimer = null;
  }

  /**
   * Point the connection at a target `{key, subscriptions}` (`subscriptions()` returns the
   * [{guildId, channelId}] to subscribe, evaluated at every (re)connect); `null` closes the socket.
   * The same key keeps the current socket, so unrelated re-renders never reconnect.
   */
  setTarget(target) {
    if ((target && target.key) === (this.target && this.target.key)) return;
    this.target = target;
    this.retryMs = FIRST_RETRY_MS;
    this.close();
    if (this.target) this.open();
  }

  stop() {
    this.target = null;
    this.close();
  }

  close() {
    clearTimeout(this.retryTimer);
    this.retryTimer = null;
    const socket = this.socket;
    this.socket = null;
    if (socket) {
      // Detach first: closing on purpose must not schedule a reconnect.
      socket.onopen = socket.onmessage = socket.onclose = socket.onerror = null;
      try {
        socket.close(1000);
      } catch {
        // already closed
      }
    }
    this.setReady(false);
  }

  open() {
    const token = this.getToken();
    if (!token || !this.target) return;
    const scheme = window.location.protocol === "https:" ? "wss" : "ws";
    const url = `${scheme}://${window.location.host}/gateway/ws?access_token=${encodeURIComponent(token)}`;
    let socket;
    try {
      socket = new WebSocket(url);
    } catch {
      this.scheduleReconnect();
      return;
    }
    this.socket = socket;
    const subscriptions = this.target.subscriptions();
    socket.onopen = () => {
      // Like the real client, subscribe from onopen; the server reads these after queuing `ready`.
      for (const { guildId, channelId } of subscriptions) {
        socket.send(JSON.stringify({ v: 1, t: "subscribe", d: { guild_id: guildId, channel_id: channelId } }));
      }
    };
    socket.onmessage = (event) => this.handleFrame(event.data);
    socket.onclose = () => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.setReady(false);
      this.scheduleReconnect();
    };
    socket.onerror = () => {
      // onclose follows and handles the retry
    };
  }

  scheduleReconnect() {
    if (!this.target || this.retryTimer) return;
    const delay = this.retryMs;
    this.retryMs = Math.min(this.retryMs * 2, MAX_RETRY_MS);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (this.target && !this.socket) this.open();
    }, delay);
  }

  setReady(ready) {
    if (this.ready === ready) return;
    this.ready = ready;
    this.onStatus(ready);
  }

  handleFrame(data) {
    if (this.crashed) return; // planted fault: the handler died on an unknown event
    const envelope = parseEnvelope(data);
    if (!envelope) return; // malformed envelope: dropped silently
    // Own properties only: a frame typed "constructor" or "tostring" must not reach Object.prototype.
    if (!Object.hasOwn(EVENT_DECODERS, envelope.type)) {
      if (faultActive(WEB_FAULTS.CRASH_ON_UNKNOWN_EVENT)) this.crashed = true;
      return; // unknown but well-formed type: ignored
    }
    const decoder = EVENT_DECODERS[envelope.type];
    const payload = decoder(envelope.data);
    if (!payload) return; // known type, malformed payload: fail closed
    if (envelope.type === "ready") {
      this.retryMs = FIRST_RETRY_MS;
      this.setReady(true);
    }
    this.onEvent(envelope.type, payload, { ready: this.ready });
  }
}
