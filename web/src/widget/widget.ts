/**
 * The customer chat widget: launcher, panel, and the Socket.IO conversation with the hub.
 *
 * Protocol: docs/architecture.md "Hub contract" and docs/protocol.md. The widget
 * is one class so a host page can create, reopen and destroy it; all DOM is built
 * with `h()` / `richText()` (text nodes only) so nothing typed by anyone is parsed
 * as HTML.
 */
import { io, type Socket } from "socket.io-client";

import { append, clear, h, richText } from "../shared/dom";
import { Throttle, formatClock, formatDuration, randomId } from "../shared/format";
import { safeHref } from "../shared/text";
import { validateContact } from "./contact";
import { type ChatMessage, MessageLog, parseServerMessage } from "./messages";
import { type KeyValueStorage, SessionStore } from "./session";
import { type Strings, pageLanguage, stringsFor, widgetLanguage } from "./strings";
import { WIDGET_CSS } from "./styles";

export interface WidgetOptions {
  /** Base URL of the hub (defaults to the origin that served widget.js). */
  hubUrl?: string;
  /** Signed customer token (JWT) minted by the host's backend; omit for anonymous. */
  token?: string | null;
  title?: string;
  /** CSS colour overrides: primary, onPrimary, bot, agent, customer, focus... */
  colors?: Record<string, string>;
  /**
   * The page's language (BCP 47, e.g. "es-MX"); default: the page's `<html lang>`. It picks the
   * widget's first strings and goes to the hub with each message (`metadata.page_language`);
   * the widget then follows the conversation's language as the hub decides it.
   */
  language?: string;
  /** Open the panel at start. */
  open?: boolean;
  /** Where to mount (default: document.body). */
  container?: HTMLElement;
}

type Mode = "bot" | "queued" | "agent" | "no_agents" | "closed";

const ACK_TIMEOUT_MS = 10_000;
const BOT_TYPING_TIMEOUT_MS = 20_000;
const AGENT_TYPING_TIMEOUT_MS = 6_000;
/** The agent hears "the customer is typing" at most this often. */
const TYPING_NOTICE_EVERY_MS = 2_000;
const COLOR_VARS: Record<string, string> = {
  primary: "--pa-primary",
  onPrimary: "--pa-on-primary",
  background: "--pa-bg",
  text: "--pa-text",
  bot: "--pa-bot",
  agent: "--pa-agent",
  agentAccent: "--pa-agent-accent",
  customer: "--pa-customer",
  onCustomer: "--pa-on-customer",
  focus: "--pa-focus",
};

function asRecord(value: unknown): Record<string, unknown> {
  return typeof value === "object" && value !== null ? (value as Record<string, unknown>) : {};
}

function numberOrNull(value: unknown): number | null {
  return typeof value === "number" && Number.isFinite(value) ? value : null;
}

function stringOrNull(value: unknown): string | null {
  return typeof value === "string" && value !== "" ? value : null;
}

/** The agent's display name from a handoff_status payload (`agent_name` or `agent.name`). */
function agentNameOf(data: Record<string, unknown>): string | null {
  return stringOrNull(data.agent_name) ?? stringOrNull(asRecord(data.agent).name) ?? stringOrNull(data.name);
}

export class ChatWidget {
  readonly host: HTMLElement;
  private readonly root: ShadowRoot;
  private t: Strings;
  private language: "en" | "es";
  private readonly pageLanguage: string | null;
  /** Re-apply every translated label (after the conversation's language changed). */
  private readonly labels: Array<() => void> = [];
  private readonly hubUrl: string;
  private readonly store: SessionStore;
  private readonly log = new MessageLog();
  private readonly socket: Socket;
  private sessionId: string | null = null;
  private ready = false;
  private mode: Mode = "bot";
  private unread = 0;
  private botTypingTimer: number | undefined;
  private agentTypingTimer: number | undefined;
  private lastAgentName: string | null = null;
  private destroyed = false;
  private freshStart = false;
  private lastAgentMessageAt = 0;
  private readonly typingNotice = new Throttle(TYPING_NOTICE_EVERY_MS);

  // Elements
  private readonly launcher: HTMLButtonElement;
  private readonly badge: HTMLSpanElement;
  private readonly panel: HTMLElement;
  private readonly status: HTMLElement;
  private readonly humanBtn: HTMLButtonElement;
  private readonly banner: HTMLElement;
  private readonly list: HTMLOListElement;
  private readonly typing: HTMLElement;
  private contactForm: HTMLFormElement;
  private readonly csat: HTMLElement;
  private readonly composer: HTMLFormElement;
  private readonly input: HTMLTextAreaElement;

  constructor(options: WidgetOptions, storage: KeyValueStorage | null) {
    this.pageLanguage = pageLanguage(options.language, document.documentElement.lang ?? "");
    this.language = widgetLanguage(this.pageLanguage);
    this.t = stringsFor(this.language);
    this.hubUrl = (options.hubUrl ?? window.location.origin).replace(/\/+$/, "");
    this.store = new SessionStore(storage, this.hubUrl);
    const title = (t: Strings): string => options.title ?? t.title;

    this.host = h("div", { "data-payassist": "widget" });
    this.root = this.host.attachShadow({ mode: "open" });
    // A constructed stylesheet is not an inline style: the widget keeps working on pages whose
    // Content-Security-Policy has no 'unsafe-inline' (docs/security.md); old browsers get <style>.
    const styles: HTMLStyleElement[] = [];
    if ("adoptedStyleSheets" in this.root && "replaceSync" in CSSStyleSheet.prototype) {
      const sheet = new CSSStyleSheet();
      sheet.replaceSync(WIDGET_CSS);
      this.root.adoptedStyleSheets = [sheet];
    } else {
      styles.push(h("style", {}, WIDGET_CSS));
    }

    this.badge = h("span", { class: "badge", hidden: true });
    this.launcher = h(
      "button",
      { type: "button", class: "launcher", "aria-expanded": "false", "aria-controls": "pa-panel" },
      h("span", { "aria-hidden": "true" }, "💬"),
      this.label(h("span", {}), (t) => t.open),
      this.badge,
    );
    this.status = h("p", { class: "status", role: "status" }, this.t.connecting);
    this.humanBtn = this.label(h("button", { type: "button", class: "human" }), (t) => t.talkToPerson);
    const closeBtn = h("button", { type: "button", class: "x" }, "×");
    this.attrs(closeBtn, (t) => ({ "aria-label": t.close, title: t.close }));
    this.banner = h("div", { class: "banner", role: "status", hidden: true });
    this.list = h("ol", {
      class: "log",
      role: "log",
      "aria-live": "polite",
      "aria-relevant": "additions",
      tabindex: "0",
    });
    this.attrs(this.list, (t) => ({ "aria-label": t.conversation }));
    this.typing = h("div", { class: "typing", "aria-live": "polite" });
    this.contactForm = this.buildContactForm();
    this.csat = this.buildCsat();
    this.input = h("textarea", {
      id: "pa-input",
      rows: 1,
      maxlength: 4000,
      autocomplete: "off",
    });
    this.attrs(this.input, (t) => ({ placeholder: t.placeholder }));
    this.composer = h(
      "form",
      { class: "composer" },
      this.label(h("label", { class: "sr", for: "pa-input" }), (t) => t.messageLabel),
      this.input,
      this.label(h("button", { type: "submit", class: "send" }), (t) => t.send),
    );
    this.panel = h(
      "section",
      { id: "pa-panel", class: "panel", role: "dialog", hidden: true },
      h(
        "header",
        {},
        h("div", { class: "row" }, this.label(h("h2", {}), title), closeBtn),
        h("div", { class: "row" }, this.status, this.humanBtn),
      ),
      this.banner,
      this.list,
      this.typing,
      this.contactForm,
      this.csat,
      this.composer,
    );
    this.attrs(this.panel, (t) => ({ "aria-label": title(t) }));
    const wrapper = h("div", { class: "pa" }, this.panel, this.launcher);
    for (const [name, value] of Object.entries(options.colors ?? {})) {
      const cssVar = COLOR_VARS[name];
      if (cssVar !== undefined && /^[#a-zA-Z0-9(),.%\s-]{1,64}$/.test(value)) {
        wrapper.style.setProperty(cssVar, value);
      }
    }
    this.root.append(...styles, wrapper);

    this.launcher.addEventListener("click", () => this.open());
    closeBtn.addEventListener("click", () => this.close());
    this.panel.addEventListener("keydown", (ev) => {
      if (ev.key === "Escape") {
        ev.preventDefault();
        this.close();
      }
    });
    this.humanBtn.addEventListener("click", () => this.requestHuman());
    this.composer.addEventListener("submit", (ev) => {
      ev.preventDefault();
      this.sendTyped();
    });
    this.input.addEventListener("input", () => this.noticeTyping());
    this.input.addEventListener("keydown", (ev) => {
      if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing) {
        ev.preventDefault();
        this.sendTyped();
      }
    });

    (options.container ?? document.body).appendChild(this.host);

    const auth: Record<string, string> = {};
    if (options.token) {
      auth.token = options.token;
    }
    this.socket = io(this.hubUrl, { auth, reconnectionDelayMax: 5000, transports: ["websocket", "polling"] });
    this.wireSocket();

    if (options.open === true || this.readOpenFlag()) {
      this.open(false);
    }
  }

  /** Sets an element's text from the strings now and whenever the language changes. */
  private label<E extends HTMLElement>(el: E, text: (t: Strings) => string): E {
    const apply = (): void => {
      el.textContent = text(this.t);
    };
    apply();
    this.labels.push(apply);
    return el;
  }

  /** Sets attributes from the strings now and whenever the language changes. */
  private attrs(el: HTMLElement, values: (t: Strings) => Record<string, string>): void {
    const apply = (): void => {
      for (const [name, value] of Object.entries(values(this.t))) {
        el.setAttribute(name, value);
      }
    };
    apply();
    this.labels.push(apply);
  }

  /**
   * Follows the conversation's language as the hub reports it (the `user_uttered` ack, a
   * `handoff_status`): every label, the contact form and the rating switch to it. Banners
   * already shown stay as they are; the next ones are in the new language.
   */
  private useLanguage(language: unknown): void {
    if (typeof language !== "string" || language === "") {
      return;
    }
    const next = widgetLanguage(language);
    if (next === this.language) {
      return;
    }
    this.language = next;
    this.t = stringsFor(next);
    for (const apply of this.labels) {
      apply();
    }
    if (this.ready) {
      this.setStatus(this.t.connected);
    }
    const fresh = this.buildContactForm(); // its own inputs and submit handler
    fresh.hidden = this.contactForm.hidden;
    this.contactForm.replaceWith(fresh);
    this.contactForm = fresh;
    if (this.csat.querySelector(".stars") !== null) {
      clear(this.csat);
      this.resetCsat();
    }
  }

  /** Opens the panel and moves focus to the message box. */
  open(focus = true): void {
    this.panel.hidden = false;
    this.launcher.hidden = true;
    this.launcher.setAttribute("aria-expanded", "true");
    this.unread = 0;
    this.renderBadge();
    this.writeOpenFlag(true);
    this.scrollToEnd();
    if (focus) {
      this.input.focus();
    }
  }

  /** Closes the panel and returns focus to the launcher. */
  close(): void {
    this.panel.hidden = true;
    this.launcher.hidden = false;
    this.launcher.setAttribute("aria-expanded", "false");
    this.writeOpenFlag(false);
    this.launcher.focus();
  }

  destroy(): void {
    this.destroyed = true;
    window.clearTimeout(this.botTypingTimer);
    window.clearTimeout(this.agentTypingTimer);
    this.socket.disconnect();
    this.host.remove();
  }

  // ---- socket ---------------------------------------------------------------------------

  private wireSocket(): void {
    const s = this.socket;
    s.on("connect", () => {
      this.ready = false;
      this.setStatus(this.t.connecting);
      this.requestSession(this.store.load()?.sessionId ?? null);
    });
    s.on("disconnect", () => {
      this.ready = false;
      if (!this.destroyed) {
        this.setStatus(this.t.reconnecting);
      }
    });
    s.on("connect_error", () => this.setStatus(this.t.reconnecting));
    s.on("session_confirm", (data: unknown) => this.onSessionConfirm(data));
    s.on("bot_uttered", (data: unknown) => this.onServerMessage(data));
    s.on("user_uttered", (data: unknown) => this.onServerMessage(data, "customer"));
    s.on("handoff_status", (data: unknown) => this.onHandoffStatus(asRecord(data)));
    s.on("error", (data: unknown) => this.onHubError(asRecord(data)));
  }

  /**
   * Asks the hub for our conversation (or a new one) and, with `last_seen_id`, for every
   * message after what is on screen (all of it after a reload: text is never stored). The
   * replay and the live status arrive before the ack, which carries the state.
   */
  private requestSession(sessionId: string | null): void {
    this.socket
      .timeout(ACK_TIMEOUT_MS)
      .emit(
        "session_request",
        { session_id: sessionId, last_seen_id: this.log.lastSeenId },
        (err: unknown, ack: unknown) => {
          const ackRec = asRecord(ack);
          const code = stringOrNull(asRecord(ackRec.error).code);
          if (code !== null || err !== null) {
            // rate_limited / unavailable: said by onHubError; the next reconnect retries.
            return;
          }
          if (ackRec.identity_required === true) {
            // Our stored chat belongs to a signed-in customer and this page has no (valid)
            // token for them: the hub shows nothing of it; our next message starts a new one.
            this.log.reset();
            clear(this.list);
            this.freshStart = true; // the next session_confirm is a new chat: keep the screen
            this.renderNotice(this.t.signInAgain);
          }
          if (ackRec.identity_required !== true) {
            this.useLanguage(ackRec.language); // a reloaded page continues in the chat's language
          }
          const state = stringOrNull(ackRec.state);
          if (state !== null && state !== this.mode && ackRec.identity_required !== true) {
            this.applyConversationState(state);
          }
          this.ready = true;
          this.setStatus(this.t.connected);
          this.flushOutbox();
        },
      );
  }

  /** Errors the hub reports outside an ack: tell the customer what happened, in their words. */
  private onHubError(rec: Record<string, unknown>): void {
    const code = stringOrNull(rec.code);
    console.warn("PayAssist hub error", code, rec.message);
    switch (code) {
      case "session_ended":
        this.onSessionEnded();
        break;
      case "rate_limited":
        this.showBanner(this.t.rateLimited);
        this.setStatus(this.t.rateLimited);
        break;
      case "too_large":
        this.showBanner(this.t.tooLarge);
        break;
      default:
        break;
    }
  }

  /**
   * The conversation was bound to a signed-in customer from another tab or device: this
   * widget may not see it any more. Say so and start a new conversation here.
   */
  private onSessionEnded(): void {
    if (this.freshStart) {
      return; // already starting again
    }
    this.startNewSession();
    this.renderNotice(this.t.sessionEnded);
  }

  /** A note from the widget itself in the transcript (not from the hub, not stored). */
  private renderNotice(text: string): void {
    this.renderMessage({
      id: null,
      clientMsgId: null,
      sender: "system",
      senderName: null,
      text,
      buttons: [],
      attachmentUrl: null,
      ts: new Date().toISOString(),
    });
  }

  private onSessionConfirm(data: unknown): void {
    // Rasa's channel sends the bare id; an object `{session_id}` is accepted too.
    const rec = typeof data === "string" ? { session_id: data } : asRecord(data);
    const sid = stringOrNull(rec.session_id);
    if (sid === null) {
      return;
    }
    const stored = this.store.load();
    if (this.freshStart) {
      // A new conversation after a closed one: keep the old one on screen, forget its ids.
      this.freshStart = false;
      this.log.resetIds();
      this.setMode("bot");
    } else if (this.sessionId !== null && this.sessionId !== sid) {
      // The hub gave us a different conversation (e.g. another customer logged in).
      this.log.reset();
      clear(this.list);
    }
    this.sessionId = sid;
    const sameAsStored = stored !== null && stored.sessionId === sid;
    this.store.save({ sessionId: sid, lastSeenId: sameAsStored ? stored.lastSeenId : null });
  }

  /** Restores the mode after a (re)connect, before any live handoff_status refines it. */
  private applyConversationState(state: string): void {
    if (state === "queued") {
      this.onHandoffStatus({ state: "queued", position: null, estimated_wait_seconds: null });
    } else if (state === "agent") {
      this.onHandoffStatus({ state: "agent_joined", agent_name: this.lastAgentName });
    } else if (state === "bot" || state === "closed") {
      if (state !== this.mode) this.setMode(state);
    }
  }

  private onServerMessage(data: unknown, fallbackSender?: "customer"): void {
    const rec = asRecord(data);
    if (fallbackSender !== undefined && rec.sender === undefined && rec.sender_type === undefined) {
      rec.sender = { type: fallbackSender };
    }
    const msg = parseServerMessage(rec);
    if (msg === null || !this.log.acceptServer(msg)) {
      return;
    }
    if (msg.sender !== "customer") {
      this.stopBotTyping();
      if (msg.sender === "agent") {
        this.stopAgentTyping();
        this.lastAgentMessageAt = Date.now();
        this.lastAgentName = msg.senderName ?? this.lastAgentName;
      }
    }
    this.renderMessage(msg);
    if (msg.id !== null) {
      this.store.markSeen(msg.id);
    }
    if (this.panel.hidden && msg.sender !== "customer") {
      this.unread += 1;
      this.renderBadge();
    }
  }

  private onHandoffStatus(data: Record<string, unknown>): void {
    this.useLanguage(data.language);
    const state = stringOrNull(data.state);
    switch (state) {
      case "queued": {
        this.setMode("queued");
        const wait = formatDuration(numberOrNull(data.estimated_wait_seconds));
        this.showBanner(this.t.queued(numberOrNull(data.position), wait ?? this.t.waitUnknown), {
          label: this.t.cancelWaiting,
          onClick: () => this.socket.emit("cancel_handoff", { session_id: this.sessionId }),
        });
        break;
      }
      case "agent_joined": {
        this.lastAgentName = agentNameOf(data) ?? this.t.agent;
        this.setMode("agent");
        this.showBanner(this.t.agentJoined(this.lastAgentName));
        break;
      }
      case "agent_typing": {
        const name = agentNameOf(data) ?? this.lastAgentName ?? this.t.agent;
        // A typing notice that overtook the agent's own message must not linger after it.
        if (data.typing === false || Date.now() - this.lastAgentMessageAt < 1500) {
          this.stopAgentTyping();
        } else {
          this.showAgentTyping(name);
        }
        break;
      }
      case "agent_left":
        this.stopAgentTyping();
        this.showBanner(this.t.agentLeft);
        break;
      case "bot_resumed":
        this.setMode("bot");
        this.hideBanner();
        break;
      case "no_agents": {
        this.setMode("no_agents");
        const outOfHours = data.within_hours === false;
        this.showBanner(outOfHours ? this.t.outOfHours : this.t.noAgents);
        break;
      }
      case "ticket_created":
        this.contactForm.hidden = true;
        this.showBanner(this.t.ticketCreated);
        break;
      case "closed":
        this.setMode("closed");
        break;
      default:
        break;
    }
  }

  private setMode(mode: Mode): void {
    this.mode = mode;
    this.stopBotTyping();
    if (mode !== "agent") {
      this.stopAgentTyping();
    }
    this.humanBtn.disabled = mode === "queued" || mode === "agent";
    this.contactForm.hidden = mode !== "no_agents";
    this.csat.hidden = mode !== "closed";
    if (mode === "closed") {
      this.showBanner(this.t.closed);
      this.resetCsat();
    }
    if (mode === "bot") {
      this.hideBanner();
    }
  }

  // ---- sending ------------------------------------------------------------------------

  private sendTyped(): void {
    const text = this.input.value.trim();
    if (text === "") {
      return;
    }
    this.input.value = "";
    this.send(text, text);
  }

  /** Shows the message at once, then emits it (now or after reconnecting) until acked. */
  private send(payload: string, display: string): void {
    const msg: ChatMessage = {
      id: null,
      clientMsgId: randomId(),
      sender: "customer",
      senderName: null,
      text: display,
      buttons: [],
      attachmentUrl: null,
      ts: new Date().toISOString(),
      payload,
    };
    this.log.addPending(msg);
    this.renderMessage(msg);
    if (this.mode === "bot") {
      this.startBotTyping();
    }
    this.emitMessage(msg);
  }

  private emitMessage(msg: ChatMessage): void {
    if (!this.ready || this.sessionId === null || msg.clientMsgId === null) {
      return;
    }
    const clientMsgId = msg.clientMsgId;
    const payload = msg.payload ?? msg.text;
    this.socket
      .timeout(ACK_TIMEOUT_MS)
      .emit(
        "user_uttered",
        {
          message: payload,
          session_id: this.sessionId,
          client_msg_id: clientMsgId,
          metadata: {},
          ...(this.pageLanguage !== null ? { page_language: this.pageLanguage } : {}),
        },
        (err: unknown, ack: unknown) => {
          const ackRec = asRecord(ack);
          this.useLanguage(ackRec.language);
          const id = numberOrNull(ackRec.id);
          const code = stringOrNull(asRecord(ackRec.error).code);
          if (code === "conversation_closed") {
            // The agent closed the old conversation: start a new one and resend there.
            this.startNewSession();
            return;
          }
          if (code === "session_ended") {
            // Taken over by a signed-in customer elsewhere: start fresh, resend it there.
            this.onSessionEnded();
            return;
          }
          if (code === "rate_limited" || code === "too_large" || code === "busy") {
            const text = { rate_limited: this.t.rateLimited, too_large: this.t.tooLarge, busy: this.t.busy }[code];
            this.markRejected(clientMsgId, text);
            return;
          }
          if (code !== null && code !== "unavailable" && code !== "internal") {
            // Rejected for good (malformed, another customer's chat...): say so, in the
            // widget's language, instead of retrying forever.
            this.markRejected(clientMsgId, code === "identity_mismatch" ? this.t.identityMismatch : this.t.rejected);
            return;
          }
          if (err === null && id !== null) {
            // `text`: what the hub stored when it differs from what we sent (masked numbers).
            const storedText = stringOrNull(ackRec.text);
            this.log.acknowledge(clientMsgId, id, storedText);
            this.store.markSeen(id);
            const node = this.list.querySelector(`[data-client-id="${clientMsgId}"]`);
            node?.classList.remove("pending");
            node?.setAttribute("data-id", String(id));
            node?.querySelector(".retry")?.remove();
            if (storedText !== null) {
              node?.querySelector(".bubble")?.replaceChildren(richText(storedText));
            }
          } else {
            this.markNotSent(clientMsgId);
          }
        },
      );
  }

  /** Tells the agent (only an agent: the bot does not care) that the customer is typing. */
  private noticeTyping(): void {
    if (this.mode !== "agent" || !this.ready || this.sessionId === null || this.input.value.trim() === "") {
      return;
    }
    if (this.typingNotice.accept(Date.now())) {
      this.socket.emit("typing", { session_id: this.sessionId });
    }
  }

  private startNewSession(): void {
    this.ready = false;
    this.sessionId = null;
    this.freshStart = true;
    this.store.clear();
    this.requestSession(null);
  }

  private markRejected(clientMsgId: string, message: string | null): void {
    this.stopBotTyping();
    this.log.drop(clientMsgId);
    const node = this.list.querySelector(`[data-client-id="${clientMsgId}"]`);
    node?.classList.add("rejected");
    node?.querySelector(".retry")?.remove();
    node?.appendChild(h("span", { class: "meta retry", role: "alert" }, message ?? this.t.notSent));
  }

  private flushOutbox(): void {
    for (const msg of this.log.unacknowledged()) {
      this.emitMessage(msg);
    }
  }

  private markNotSent(clientMsgId: string): void {
    this.stopBotTyping();
    const node = this.list.querySelector(`[data-client-id="${clientMsgId}"]`);
    if (node !== null && node.querySelector(".retry") === null) {
      node.appendChild(h("span", { class: "meta retry" }, this.t.notSent));
    }
    // Retry once the connection is back (flushOutbox) or after a short pause.
    window.setTimeout(() => {
      if (this.log.isPending(clientMsgId) && this.ready) {
        this.flushOutbox();
      }
    }, 3000);
  }

  private requestHuman(): void {
    this.socket.emit("request_human", { session_id: this.sessionId });
    this.humanBtn.disabled = true;
    this.startBotTyping();
  }

  // ---- rendering ----------------------------------------------------------------------

  private senderLabel(msg: ChatMessage): string {
    switch (msg.sender) {
      case "customer":
        return this.t.you;
      case "agent":
        return msg.senderName ?? this.t.agent;
      case "system":
        return this.t.system;
      default:
        return msg.senderName ?? this.t.assistant;
    }
  }

  private renderMessage(msg: ChatMessage): void {
    const classes = ["msg", msg.sender];
    if (msg.id === null && msg.sender === "customer") {
      classes.push("pending");
    }
    const time = formatClock(msg.ts, document.documentElement.lang || navigator.language || "en");
    const meta = h(
      "div",
      { class: "meta" },
      h("span", { class: "who" }, this.senderLabel(msg)),
      time !== "" ? " · " : null,
      time !== "" ? h("time", { datetime: msg.ts ?? "" }, time) : null,
    );
    const bubble = h("div", { class: "bubble" });
    if (msg.text !== "") {
      bubble.appendChild(richText(msg.text));
    }
    if (msg.attachmentUrl !== null) {
      const href = safeHref(msg.attachmentUrl);
      if (href !== null) {
        if (msg.text !== "") {
          bubble.appendChild(document.createTextNode(" "));
        }
        const a = h("a", { href, target: "_blank", rel: "noopener noreferrer nofollow" }, this.t.link);
        bubble.appendChild(a);
      }
    }
    const item = h(
      "li",
      {
        class: classes.join(" "),
        "data-id": msg.id ?? null,
        "data-client-id": msg.clientMsgId ?? null,
        "data-sender": msg.sender,
      },
      meta,
      bubble,
    );
    if (msg.buttons.length > 0) {
      const group = h("div", { class: "buttons", role: "group", "aria-label": this.t.assistant });
      for (const b of msg.buttons) {
        const btn = h("button", { type: "button" }, b.title);
        btn.addEventListener("click", () => {
          for (const other of Array.from(group.querySelectorAll("button"))) {
            other.disabled = true;
          }
          this.send(b.payload, b.title);
          this.input.focus();
        });
        group.appendChild(btn);
      }
      item.appendChild(group);
    }
    this.list.appendChild(item);
    this.scrollToEnd();
  }

  private showBanner(text: string, action?: { label: string; onClick: () => void }): void {
    clear(this.banner);
    append(this.banner, h("span", {}, text));
    if (action !== undefined) {
      const btn = h("button", { type: "button" }, action.label);
      btn.addEventListener("click", action.onClick);
      append(this.banner, " ", btn);
    }
    this.banner.hidden = false;
  }

  private hideBanner(): void {
    this.banner.hidden = true;
    clear(this.banner);
  }

  private setStatus(text: string): void {
    this.status.textContent = text;
    this.panel.setAttribute("aria-busy", text === this.t.connected ? "false" : "true");
  }

  private renderBadge(): void {
    this.badge.hidden = this.unread === 0;
    this.badge.textContent = this.unread === 0 ? "" : String(this.unread);
    this.badge.setAttribute("aria-label", this.t.unread(this.unread));
  }

  private startBotTyping(): void {
    this.typing.textContent = this.t.botTyping;
    window.clearTimeout(this.botTypingTimer);
    this.botTypingTimer = window.setTimeout(() => this.stopBotTyping(), BOT_TYPING_TIMEOUT_MS);
  }

  private stopBotTyping(): void {
    window.clearTimeout(this.botTypingTimer);
    if (this.typing.textContent === this.t.botTyping) {
      this.typing.textContent = "";
    }
  }

  private showAgentTyping(name: string): void {
    this.typing.textContent = this.t.agentTyping(name);
    window.clearTimeout(this.agentTypingTimer);
    this.agentTypingTimer = window.setTimeout(() => this.stopAgentTyping(), AGENT_TYPING_TIMEOUT_MS);
  }

  private stopAgentTyping(): void {
    window.clearTimeout(this.agentTypingTimer);
    if (this.typing.textContent !== this.t.botTyping) {
      this.typing.textContent = "";
    }
  }

  private scrollToEnd(): void {
    this.list.scrollTop = this.list.scrollHeight;
  }

  private buildContactForm(): HTMLFormElement {
    const email = h("input", { id: "pa-email", type: "email", name: "email", autocomplete: "email", "aria-describedby": "pa-email-err" });
    const phone = h("input", { id: "pa-phone", type: "tel", name: "phone", autocomplete: "tel", "aria-describedby": "pa-phone-err" });
    const note = h("textarea", { id: "pa-note", name: "note", rows: 2, maxlength: 1000 });
    const emailErr = h("span", { id: "pa-email-err", class: "err" });
    const phoneErr = h("span", { id: "pa-phone-err", class: "err" });
    const formErr = h("p", { class: "err", role: "alert" });
    const form = h(
      "form",
      { class: "contact", hidden: true, novalidate: true, "aria-label": this.t.contactIntro },
      h("p", {}, this.t.contactIntro),
      h("label", { for: "pa-email" }, this.t.email, email),
      emailErr,
      h("label", { for: "pa-phone" }, this.t.phone, phone),
      phoneErr,
      h("label", { for: "pa-note" }, this.t.note, note),
      formErr,
      h("button", { type: "submit" }, this.t.submitContact),
    );
    form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      const result = validateContact({ email: email.value, phone: phone.value, note: note.value });
      emailErr.textContent = result.errors.email !== undefined ? this.t.invalidEmail : "";
      phoneErr.textContent = result.errors.phone !== undefined ? this.t.invalidPhone : "";
      formErr.textContent = result.errors.form !== undefined ? this.t.needOne : "";
      email.setAttribute("aria-invalid", String(result.errors.email !== undefined));
      phone.setAttribute("aria-invalid", String(result.errors.phone !== undefined));
      if (!result.ok) {
        (result.errors.email !== undefined ? email : result.errors.phone !== undefined ? phone : email).focus();
        return;
      }
      this.socket.emit("leave_contact", { session_id: this.sessionId, ...result.value });
    });
    return form;
  }

  private buildCsat(): HTMLElement {
    const stars = h("div", { class: "stars", role: "group", "aria-label": this.t.rateQuestion });
    for (let n = 1; n <= 5; n += 1) {
      const btn = h("button", { type: "button", "aria-label": this.t.rateLabel(n), "data-score": n }, String(n));
      btn.addEventListener("click", () => {
        this.socket.emit("rate", { session_id: this.sessionId, score: n });
        clear(this.csat);
        append(this.csat, h("p", { role: "status" }, this.t.rateThanks));
      });
      stars.appendChild(btn);
    }
    return h("div", { class: "csat", hidden: true }, h("p", {}, this.t.rateQuestion), stars);
  }

  private resetCsat(): void {
    if (this.csat.querySelector(".stars") === null) {
      const fresh = this.buildCsat();
      clear(this.csat);
      while (fresh.firstChild !== null) {
        this.csat.appendChild(fresh.firstChild);
      }
    }
  }

  private readOpenFlag(): boolean {
    try {
      return window.sessionStorage.getItem("payassist:open") === "1";
    } catch {
      return false;
    }
  }

  private writeOpenFlag(open: boolean): void {
    try {
      window.sessionStorage.setItem("payassist:open", open ? "1" : "0");
    } catch {
      // Storage disabled: the panel just starts closed after a reload.
    }
  }
}
