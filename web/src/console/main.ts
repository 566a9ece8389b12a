/**
 * The agent console: login, live queue, several conversations at once, context.
 *
 * Talks to the hub's `/agent` Socket.IO namespace (docs/protocol.md). The session
 * from `POST /api/agent/login` is an HttpOnly cookie this script never sees; only
 * who is signed in (name, role, queues) is kept in sessionStorage so a reload of the
 * tab stays signed in. Every state-changing request echoes the `payassist_csrf`
 * cookie in `X-CSRF-Token` (docs/security.md).
 * All DOM is built with `h()` / `richText()`: nothing typed by a customer is
 * parsed as HTML.
 */
import { io, type Socket } from "socket.io-client";

import { append, clear, h, richText } from "../shared/dom";
import { formatClock, formatDuration, randomId } from "../shared/format";
import {
  Announcer,
  conversationLanguage,
  customerLabel,
  dispositionLabel,
  dispositionsOf,
  type Json,
  languageLabel,
  languagesOf,
  list,
  money,
  num,
  reasonLabel,
  rec,
  str,
  summariseInstalments,
} from "./model";

const TOKEN_KEY = "payassist-console:session";
const ACK_TIMEOUT_MS = 10_000;
const TYPING_EVERY_MS = 2_000;
const CUSTOMER_TYPING_MS = 6_000;

interface LoginInfo {
  displayName: string;
  role: string;
  queues: string[];
  languages: string[];
}

interface ConversationState {
  id: string;
  view: Json;
  messages: Json[];
  seen: Set<number>;
  unread: number;
  context: Json | null;
}

function byId<T extends HTMLElement>(id: string): T {
  const node = document.getElementById(id);
  if (node === null) {
    throw new Error(`console page is missing #${id}`);
  }
  return node as T;
}

const ui = {
  loginView: byId<HTMLElement>("login-view"),
  loginForm: byId<HTMLFormElement>("login-form"),
  loginUser: byId<HTMLInputElement>("login-user"),
  loginPass: byId<HTMLInputElement>("login-pass"),
  loginError: byId<HTMLElement>("login-error"),
  app: byId<HTMLElement>("app-view"),
  me: byId<HTMLElement>("me"),
  presence: byId<HTMLSelectElement>("presence"),
  sound: byId<HTMLInputElement>("sound"),
  conn: byId<HTMLElement>("conn"),
  logout: byId<HTMLButtonElement>("logout"),
  queueList: byId<HTMLUListElement>("queue-list"),
  queueCount: byId<HTMLElement>("queue-count"),
  mineList: byId<HTMLUListElement>("mine-list"),
  ticketsList: byId<HTMLUListElement>("tickets-list"),
  ticketsCount: byId<HTMLElement>("tickets-count"),
  statsHeading: byId<HTMLElement>("stats-h"),
  statsBody: byId<HTMLTableElement>("stats").tBodies[0] as HTMLTableSectionElement,
  conversation: byId<HTMLElement>("conversation"),
  convTitle: byId<HTMLElement>("conv-h"),
  convMeta: byId<HTMLElement>("conv-meta"),
  handoffCard: byId<HTMLElement>("handoff-card"),
  transcript: byId<HTMLOListElement>("transcript"),
  typing: byId<HTMLElement>("conv-typing"),
  replyForm: byId<HTMLFormElement>("reply-form"),
  replyText: byId<HTMLTextAreaElement>("reply-text"),
  actions: byId<HTMLElement>("conv-actions"),
  transferQueue: byId<HTMLSelectElement>("transfer-queue"),
  transfer: byId<HTMLButtonElement>("transfer"),
  handback: byId<HTMLButtonElement>("handback"),
  disposition: byId<HTMLSelectElement>("disposition"),
  close: byId<HTMLButtonElement>("close"),
  convError: byId<HTMLElement>("conv-error"),
  contextBody: byId<HTMLElement>("context-body"),
};

const baseTitle = document.title;
const locale = navigator.language || "en";
const announcer = new Announcer();
const conversations = new Map<string, ConversationState>();
let me: LoginInfo | null = null;
let socket: Socket | null = null;
let selected: string | null = null;
let waiting: Json[] = [];
let waitingReceivedAt = Date.now();
let stats: Json[] = [];
let statsReceivedAt = Date.now();
let lastTypingSent = 0;
let customerTypingTimer: number | undefined;
let audio: AudioContext | null = null;
let offered: string | null = null;

// ---- login ------------------------------------------------------------------------------

function loadLogin(): LoginInfo | null {
  try {
    const raw = window.sessionStorage.getItem(TOKEN_KEY);
    if (raw === null) return null;
    const data = rec(JSON.parse(raw));
    if (str(data.displayName) === null) return null;
    return {
      displayName: str(data.displayName) ?? "",
      role: str(data.role) ?? "agent",
      queues: Array.isArray(data.queues) ? data.queues.filter((q): q is string => typeof q === "string") : [],
      languages: languagesOf(data.languages),
    };
  } catch {
    return null;
  }
}

function saveLogin(info: LoginInfo | null): void {
  try {
    if (info === null) {
      window.sessionStorage.removeItem(TOKEN_KEY);
    } else {
      window.sessionStorage.setItem(TOKEN_KEY, JSON.stringify(info));
    }
  } catch (err) {
    console.warn("console: cannot persist the login in this tab", err);
  }
}

/** The double-submit CSRF token the hub sets as a cookie with every page. */
function csrfToken(): string {
  for (const part of document.cookie.split(";")) {
    const [name, ...rest] = part.trim().split("=");
    if (name === "payassist_csrf" || name === "__Host-payassist_csrf") return rest.join("=");
  }
  return "";
}

/** A same-origin POST with the CSRF header; the session cookie rides along. */
function post(path: string, body: unknown): Promise<Response> {
  return fetch(path, {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRF-Token": csrfToken() },
    body: JSON.stringify(body),
  });
}

async function login(username: string, password: string): Promise<LoginInfo> {
  const resp = await post("/api/agent/login", { username, password });
  if (resp.status === 401) {
    throw new Error("Wrong username or password.");
  }
  if (resp.status === 403) {
    throw new Error("This page is out of date; reload it and sign in again.");
  }
  if (resp.status === 429) {
    throw new Error("Too many attempts; wait a minute and try again.");
  }
  if (!resp.ok) {
    throw new Error(`Sign-in failed (HTTP ${resp.status}).`);
  }
  const body = rec(await resp.json());
  return {
    displayName: str(body.display_name) ?? username,
    role: str(body.role) ?? "agent",
    queues: Array.isArray(body.queues) ? body.queues.filter((q): q is string => typeof q === "string") : [],
    languages: languagesOf(body.languages),
  };
}

ui.loginForm.addEventListener("submit", (ev) => {
  ev.preventDefault();
  const username = ui.loginUser.value.trim();
  const password = ui.loginPass.value;
  if (username === "" || password === "") {
    ui.loginError.textContent = "Enter your username and password.";
    return;
  }
  ui.loginError.textContent = "";
  login(username, password)
    .then((info) => {
      ui.loginPass.value = "";
      saveLogin(info);
      startConsole(info);
    })
    .catch((err: unknown) => {
      ui.loginError.textContent = err instanceof Error ? err.message : "Sign-in failed.";
    });
});

ui.logout.addEventListener("click", () => {
  socket?.disconnect();
  socket = null;
  saveLogin(null);
  post("/api/agent/logout", {}).catch((err: unknown) => console.warn("console: logout request failed", err));
  showLogin("");
});

function showLogin(message: string): void {
  me = null;
  conversations.clear();
  selected = null;
  ui.app.hidden = true;
  ui.loginView.hidden = false;
  ui.loginError.textContent = message;
  ui.conn.textContent = "Signed out";
  document.title = baseTitle;
  ui.loginUser.focus();
}

// ---- socket -----------------------------------------------------------------------------

function startConsole(info: LoginInfo): void {
  me = info;
  ui.loginView.hidden = true;
  ui.app.hidden = false;
  const speaks = info.languages.length > 0 ? ` · speaks ${info.languages.map(languageLabel).join(", ")}` : "";
  ui.me.textContent = `${info.displayName}${info.role === "supervisor" ? " (supervisor)" : ""}${speaks}`;
  ui.statsHeading.textContent = info.role === "supervisor" ? "All queues" : "My queues";
  // No token: the hub reads the HttpOnly session cookie of this (same-origin) page.
  const s = io("/agent", { reconnectionDelayMax: 5000, transports: ["websocket", "polling"] });
  socket = s;
  s.on("connect", () => {
    ui.conn.textContent = "Connected";
    requestSnapshot();
    for (const id of conversations.keys()) {
      refreshConversation(id);
    }
  });
  s.on("disconnect", () => {
    ui.conn.textContent = "Reconnecting…";
  });
  s.on("connect_error", (err: Error) => {
    // The hub refuses the /agent namespace for a dead session token (no retry would help).
    if (/rejected|auth|unauthori[sz]ed|forbidden|token/i.test(err.message)) {
      s.disconnect();
      saveLogin(null);
      showLogin("Your session has expired; please sign in again.");
      return;
    }
    ui.conn.textContent = "Reconnecting…";
  });
  s.on("queue", (data: unknown) => applySnapshot(rec(data)));
  s.on("message", (data: unknown) => onMessage(rec(data)));
  s.on("conversation_update", (data: unknown) => onConversationUpdate(rec(data)));
  s.on("customer_typing", (data: unknown) => onCustomerTyping(rec(data)));
  s.on("offer", (data: unknown) => onOffer(rec(data)));
  // Rejections also come back in each event's ack, where the UI reports them; log the rest.
  s.on("error", (data: unknown) => {
    const e = rec(data);
    if (str(e.code) === "unauthorized") {
      // Logged out (here or in another tab) or expired: the hub drops this socket.
      s.disconnect();
      saveLogin(null);
      showLogin("Your session has ended; please sign in again.");
      return;
    }
    console.warn("console: hub error", str(e.code), str(e.message));
  });
}

/** Emits an event and resolves with its ack, rejecting on timeout or an `{error}` ack. */
function call(event: string, payload: Json): Promise<Json> {
  return new Promise((resolve, reject) => {
    if (socket === null) {
      reject(new Error("Not connected."));
      return;
    }
    socket.timeout(ACK_TIMEOUT_MS).emit(event, payload, (err: unknown, ack: unknown) => {
      if (err !== null && err !== undefined) {
        reject(new Error("The hub did not answer in time."));
        return;
      }
      const body = rec(ack);
      const error = rec(body.error);
      if (str(error.code) !== null) {
        reject(new Error(str(error.message) ?? str(error.code) ?? "Rejected."));
        return;
      }
      resolve(body);
    });
  });
}

function requestSnapshot(): void {
  call("queue", {})
    .then(applySnapshot)
    .catch((err: unknown) => console.warn("console: snapshot failed", err));
}

function showError(message: string): void {
  ui.convError.textContent = message;
  window.setTimeout(() => {
    if (ui.convError.textContent === message) ui.convError.textContent = "";
  }, 8000);
}

// ---- snapshot: queue, mine, tickets, stats --------------------------------------------

function applySnapshot(snap: Json): void {
  if (Object.keys(snap).length === 0) return;
  showPresence(str(snap.presence));
  waiting = list(snap.waiting);
  waitingReceivedAt = Date.now();
  stats = list(snap.stats);
  statsReceivedAt = Date.now();
  const queues = Array.isArray(snap.queues) ? snap.queues.filter((q): q is string => typeof q === "string") : [];
  const allQueues = new Set<string>([...queues, ...stats.map((q) => str(q.queue) ?? "").filter((q) => q !== "")]);
  fillTransferQueues(Array.from(allQueues));
  fillDispositions(dispositionsOf(snap));
  const fresh = announcer.newIds(waiting.map((w) => str(w.conversation_id) ?? "").filter((id) => id !== ""));
  if (fresh.length > 0) {
    beep();
  }
  const mine = list(snap.mine);
  const mineIds = new Set<string>();
  for (const view of mine) {
    const id = str(view.conversation_id);
    if (id === null) continue;
    mineIds.add(id);
    const existing = conversations.get(id);
    if (existing === undefined) {
      conversations.set(id, { id, view, messages: [], seen: new Set(), unread: 0, context: null });
      refreshConversation(id);
    } else {
      existing.view = view;
    }
  }
  for (const id of Array.from(conversations.keys())) {
    if (!mineIds.has(id) && id !== selected) {
      conversations.delete(id);
    }
  }
  renderQueue();
  renderMine();
  renderTickets(list(snap.tickets));
  renderStats();
  updateTitle();
  if (selected !== null) {
    renderConversationHeader();
  }
}

/** Reflects the presence the hub has stored (the select may only show what was asked). */
function showPresence(presence: string | null): void {
  if (presence === null) return;
  ui.presence.value = presence;
  ui.presence.setAttribute("data-confirmed", presence);
}

function fillTransferQueues(queues: string[]): void {
  const current = ui.transferQueue.value;
  clear(ui.transferQueue);
  for (const q of queues.sort()) {
    ui.transferQueue.appendChild(h("option", { value: q }, q));
  }
  if (queues.includes(current)) ui.transferQueue.value = current;
}

/** The close dispositions configured on the hub (hub.yml), as the snapshot lists them. */
function fillDispositions(codes: string[]): void {
  if (codes.length === 0) return;
  const current = ui.disposition.value;
  const shown = Array.from(ui.disposition.options, (o) => o.value);
  if (shown.length === codes.length && shown.every((c, i) => c === codes[i])) return;
  clear(ui.disposition);
  for (const code of codes) {
    ui.disposition.appendChild(h("option", { value: code }, dispositionLabel(code)));
  }
  if (codes.includes(current)) ui.disposition.value = current;
}

function liveWait(item: Json, receivedAt: number, key: string): string {
  const base = num(item[key]);
  if (base === null) return "—";
  return formatDuration(base + (Date.now() - receivedAt) / 1000) ?? "—";
}

function renderQueue(): void {
  clear(ui.queueList);
  ui.queueCount.textContent = String(waiting.length);
  ui.queueCount.classList.toggle("hot", waiting.length > 0);
  if (waiting.length === 0) {
    ui.queueList.appendChild(h("li", { class: "muted" }, "Nobody is waiting."));
    return;
  }
  waiting.forEach((item, index) => {
    const id = str(item.conversation_id);
    if (id === null) return;
    const claim = h("button", { type: "button", "aria-label": `Claim conversation with ${customerLabel(item)}` }, "Claim");
    claim.addEventListener("click", () => claimConversation(id, claim));
    const summary = str(item.summary);
    ui.queueList.appendChild(
      h(
        "li",
        { class: "item", "data-conversation": id },
        h(
          "div",
          { class: "row" },
          h("span", { class: "title" }, customerLabel(item)),
          id === offered ? h("span", { class: "tag" }, "Offered to you") : null,
          claim,
        ),
        h(
          "div",
          { class: "row" },
          h("span", { class: "tag" }, str(item.queue) ?? "—"),
          h("span", { class: "tag lang", title: "Customer's language", "data-language": str(item.language) ?? "en" }, languageLabel(item.language)),
          h("span", {}, reasonLabel(item.reason)),
          h("span", { class: "wait", "data-wait": index }, liveWait(item, waitingReceivedAt, "wait_seconds")),
        ),
        summary !== null ? h("span", { class: "muted" }, summary) : null,
        item.requeued === true ? h("span", { class: "bad" }, "Requeued: previous agent disconnected") : null,
      ),
    );
  });
}

function renderMine(): void {
  clear(ui.mineList);
  if (conversations.size === 0) {
    ui.mineList.appendChild(h("li", { class: "muted" }, "No open conversations."));
    return;
  }
  for (const conv of conversations.values()) {
    const open = h("button", { type: "button", class: "open" }, customerLabel(conv.view));
    open.addEventListener("click", () => selectConversation(conv.id));
    ui.mineList.appendChild(
      h(
        "li",
        { class: `item${conv.id === selected ? " selected" : ""}`, "data-conversation": conv.id },
        h(
          "div",
          { class: "row" },
          open,
          conv.unread > 0 ? h("span", { class: "unread", "aria-label": `${conv.unread} unread` }, String(conv.unread)) : null,
        ),
        h(
          "div",
          { class: "row" },
          h("span", { class: "tag" }, str(conv.view.queue) ?? "—"),
          h("span", { class: "tag lang", title: "Customer's language", "data-language": str(conv.view.language) ?? "en" }, languageLabel(conv.view.language)),
          h("span", {}, str(conv.view.state) ?? ""),
        ),
      ),
    );
  }
}

function renderTickets(tickets: Json[]): void {
  clear(ui.ticketsList);
  ui.ticketsCount.textContent = String(tickets.length);
  if (tickets.length === 0) {
    ui.ticketsList.appendChild(h("li", { class: "muted" }, "No open tickets."));
    return;
  }
  for (const t of tickets) {
    const contact = [str(t.email), str(t.phone)].filter((v): v is string => v !== null).join(" · ");
    ui.ticketsList.appendChild(
      h(
        "li",
        { class: "item" },
        h("div", { class: "row" }, h("span", { class: "title" }, `#${String(t.ticket_id ?? "?")} ${customerLabel(t)}`), h("span", { class: "tag" }, str(t.queue) ?? "—")),
        h("span", {}, contact),
        str(t.note) !== null ? h("span", { class: "muted" }, str(t.note)) : null,
        h("span", { class: "muted" }, `${str(t.kind) ?? ""} · ${formatClock(str(t.created_at), locale)}`),
        ticketCloseButton(t),
      ),
    );
  }
}

/** "Mark handled" for a ticket: the hub closes it and every console's list drops it. */
function ticketCloseButton(ticket: Json): HTMLButtonElement {
  const id = num(ticket.ticket_id);
  const button = h(
    "button",
    { type: "button", class: "ticket-close", "aria-label": `Mark ticket ${String(id ?? "?")} handled` },
    "Mark handled",
  );
  button.addEventListener("click", () => {
    if (id === null) return;
    button.disabled = true;
    call("close_ticket", { ticket_id: id })
      .then(() => requestSnapshot())
      .catch((err: unknown) => {
        button.disabled = false;
        showError(err instanceof Error ? err.message : "Could not close the ticket.");
      });
  });
  return button;
}

function renderStats(): void {
  clear(ui.statsBody);
  for (const q of stats) {
    ui.statsBody.appendChild(
      h(
        "tr",
        { "data-queue": str(q.queue) ?? "" },
        h("th", { scope: "row" }, str(q.display_name) ?? str(q.queue) ?? "—"),
        h("td", {}, String(num(q.waiting) ?? 0)),
        h("td", {}, num(q.longest_wait_seconds) === null ? "—" : liveWait(q, statsReceivedAt, "longest_wait_seconds")),
        h("td", {}, String(num(q.online_agents) ?? 0)),
        h("td", {}, q.open_now === false ? "Closed" : "Open"),
      ),
    );
  }
}

function updateTitle(): void {
  const unread = Array.from(conversations.values()).reduce((n, c) => n + c.unread, 0);
  const badge = waiting.length + unread;
  document.title = badge > 0 ? `(${badge}) ${baseTitle}` : baseTitle;
}

function beep(): void {
  if (!ui.sound.checked) return;
  try {
    audio ??= new AudioContext();
    const osc = audio.createOscillator();
    const gain = audio.createGain();
    osc.frequency.value = 880;
    gain.gain.setValueAtTime(0.15, audio.currentTime);
    gain.gain.exponentialRampToValueAtTime(0.001, audio.currentTime + 0.35);
    osc.connect(gain).connect(audio.destination);
    osc.start();
    osc.stop(audio.currentTime + 0.35);
  } catch (err) {
    console.warn("console: cannot play the notification sound", err);
  }
}

// ---- conversations ----------------------------------------------------------------------

function claimConversation(id: string, button: HTMLButtonElement): void {
  button.disabled = true;
  call("claim", { conversation_id: id })
    .then((packet) => {
      const state: ConversationState = conversations.get(id) ?? {
        id,
        view: rec(packet.conversation),
        messages: [],
        seen: new Set(),
        unread: 0,
        context: null,
      };
      conversations.set(id, state);
      applyContext(state, packet);
      selectConversation(id);
      requestSnapshot();
    })
    .catch((err: unknown) => {
      button.disabled = false;
      showError(err instanceof Error ? err.message : "Could not claim the conversation.");
      requestSnapshot();
    });
}

/** Re-reads the context packet of a conversation this agent owns (after reload/reconnect). */
function refreshConversation(id: string): void {
  call("context", { conversation_id: id })
    .then((packet) => {
      const state = conversations.get(id);
      if (state !== undefined) {
        applyContext(state, packet);
        if (selected === id) renderSelected();
      }
    })
    .catch((err: unknown) => console.warn("console: cannot load the conversation context", err));
}

function applyContext(state: ConversationState, packet: Json): void {
  const view = rec(packet.conversation);
  if (Object.keys(view).length > 0) state.view = view;
  state.context = packet;
  for (const m of list(packet.transcript)) {
    addMessage(state, m);
  }
}

function addMessage(state: ConversationState, message: Json): boolean {
  const id = num(message.id);
  if (id !== null) {
    if (state.seen.has(id)) return false;
    state.seen.add(id);
  }
  state.messages.push(message);
  state.messages.sort((a, b) => (num(a.id) ?? Infinity) - (num(b.id) ?? Infinity));
  return true;
}

function onMessage(data: Json): void {
  // `message` is the bot_uttered body plus conversation_id (docs/protocol.md).
  const id = str(data.conversation_id);
  const message = Object.keys(rec(data.message)).length > 0 ? rec(data.message) : data;
  if (id === null || num(message.id) === null) return;
  const state = conversations.get(id);
  if (state === undefined) return;
  if (!addMessage(state, message)) return;
  if (senderOf(message) === "customer") {
    ui.typing.textContent = "";
  }
  if (id === selected && document.visibilityState === "visible") {
    ui.transcript.appendChild(renderMessage(message));
    ui.transcript.scrollTop = ui.transcript.scrollHeight;
  } else if (senderOf(message) !== "agent") {
    state.unread += 1;
    if (id === selected) ui.transcript.appendChild(renderMessage(message));
    renderMine();
    updateTitle();
  }
}

function onConversationUpdate(data: Json): void {
  const view = rec(data.conversation ?? data);
  const id = str(view.conversation_id);
  if (id === null) return;
  const state = conversations.get(id);
  if (state !== undefined) {
    state.view = view;
    if (id === selected) renderConversationHeader();
    renderMine();
  }
  requestSnapshot();
}

function onCustomerTyping(data: Json): void {
  if (str(data.conversation_id) !== selected) return;
  ui.typing.textContent = "The customer is typing…";
  window.clearTimeout(customerTypingTimer);
  customerTypingTimer = window.setTimeout(() => {
    ui.typing.textContent = "";
  }, CUSTOMER_TYPING_MS);
}

/** The hub offers this agent the longest-waiting conversation; mark it in the queue list. */
function onOffer(data: Json): void {
  offered = str(rec(data.conversation ?? data).conversation_id);
  renderQueue();
}

function senderOf(message: Json): string {
  return str(message.sender_type) ?? str(rec(message.sender).type) ?? "system";
}

function renderMessage(message: Json): HTMLLIElement {
  const sender = senderOf(message);
  const name = str(message.sender_name) ?? str(rec(message.sender).name);
  const label =
    sender === "customer" ? "Customer" : sender === "bot" ? "Bot" : sender === "agent" ? (name ?? "Agent") : "System";
  const ts = str(message.created_at) ?? str(message.ts);
  const text = str(message.text) ?? "";
  const payload = rec(message.payload);
  const buttons = list(payload.buttons ?? payload.quick_replies);
  return h(
    "li",
    { class: `m ${sender}`, "data-id": num(message.id), "data-sender": sender },
    h("span", { class: "meta" }, h("span", { class: "who" }, label), ts !== null ? ` · ${formatClock(ts, locale)}` : ""),
    richText(text),
    buttons.length > 0 ? h("span", { class: "meta" }, `Buttons: ${buttons.map((b) => str(b.title) ?? "?").join(" | ")}`) : null,
  );
}

function selectConversation(id: string): void {
  selected = id;
  const state = conversations.get(id);
  if (state !== undefined) state.unread = 0;
  renderSelected();
  renderMine();
  updateTitle();
  ui.replyText.focus();
}

function renderConversationHeader(): void {
  const state = selected === null ? undefined : conversations.get(selected);
  if (state === undefined) {
    ui.convTitle.textContent = "No conversation selected";
    ui.convMeta.textContent = "";
    ui.replyForm.hidden = true;
    ui.actions.hidden = true;
    return;
  }
  const v = state.view;
  const ctxCustomer = rec(state.context?.customer);
  ui.convTitle.textContent = `Conversation with ${str(ctxCustomer.name) ?? customerLabel(v)}`;
  ui.convMeta.textContent =
    `Queue: ${str(v.queue) ?? "—"} · State: ${str(v.state) ?? "—"} · Reason: ${reasonLabel(v.reason)}` +
    ` · Language: ${conversationLanguage(v)}`;
  const mine = v.state === "agent";
  ui.replyForm.hidden = !mine;
  ui.actions.hidden = !mine;
}

function renderSelected(): void {
  const state = selected === null ? undefined : conversations.get(selected);
  renderConversationHeader();
  clear(ui.transcript);
  clear(ui.handoffCard);
  ui.typing.textContent = "";
  if (state === undefined) {
    ui.handoffCard.hidden = true;
    renderContext(null);
    return;
  }
  renderHandoffCard(state.view);
  for (const m of state.messages) {
    ui.transcript.appendChild(renderMessage(m));
  }
  ui.transcript.scrollTop = ui.transcript.scrollHeight;
  renderContext(state);
}

function renderHandoffCard(view: Json): void {
  const signals = list(view.signals);
  const reason = str(view.reason);
  if (reason === null && signals.length === 0) {
    ui.handoffCard.hidden = true;
    return;
  }
  ui.handoffCard.hidden = false;
  append(
    ui.handoffCard,
    h("strong", {}, `Handoff: ${reasonLabel(reason)}`),
    num(view.score) !== null ? ` (score ${(num(view.score) ?? 0).toFixed(2)})` : "",
  );
  if (signals.length > 0) {
    const ul = h("ul", { "aria-label": "Handoff signals" });
    for (const s of signals) {
      const score = num(s.score);
      const evidence = str(s.evidence);
      ul.appendChild(
        h(
          "li",
          {},
          str(s.name) ?? "signal",
          score !== null ? ` ${score.toFixed(2)}` : "",
          num(s.turn) !== null ? ` · turn ${String(num(s.turn))}` : "",
          evidence !== null ? ` · “${evidence}”` : "",
        ),
      );
    }
    ui.handoffCard.appendChild(ul);
  }
}

function dl(rows: [string, string | null][]): HTMLDListElement {
  const node = h("dl", {});
  for (const [k, v] of rows) {
    if (v === null) continue;
    append(node, h("dt", {}, k), h("dd", {}, v));
  }
  return node;
}

function renderContext(state: ConversationState | null): void {
  clear(ui.contextBody);
  if (state === null) {
    ui.contextBody.appendChild(h("p", { class: "muted" }, "Select a conversation to see the customer's context."));
    return;
  }
  const ctx = state.context ?? {};
  const view = state.view;
  const summary = str(view.summary);
  // The bot's summary, or the hub's own one when the hub handed over (button, bot failure).
  append(ui.contextBody, h("h3", {}, "Summary"), h("p", { class: "summary" }, summary ?? "No summary yet."));
  const customer = rec(ctx.customer);
  append(ui.contextBody, h("h3", {}, "Customer"));
  if (str(customer.customer_ref) !== null) {
    append(
      ui.contextBody,
      h("p", { class: "tag" }, "Verified by signed token"),
      dl([
        ["Name", str(customer.name)],
        ["Ref", str(customer.customer_ref)],
        ["Email", str(customer.email)],
        ["Phone", str(customer.phone)],
      ]),
    );
  } else {
    append(ui.contextBody, h("p", {}, "Anonymous visitor (not verified): no account data is shown."));
  }
  const dataError = str(ctx.customer_data_error);
  if (dataError !== null) {
    append(ui.contextBody, h("p", { class: "bad", role: "alert" }, `Customer data unavailable: ${dataError}`));
  }
  const orders = list(ctx.orders);
  if (orders.length > 0) {
    append(ui.contextBody, h("h3", {}, `Orders (${orders.length})`));
  }
  for (const order of orders) {
    const inst = summariseInstalments(order);
    const box = h(
      "div",
      { class: "order", "data-order": str(order.order_ref) ?? "" },
      h("strong", {}, `${str(order.order_ref) ?? "?"} · ${str(order.merchant_name) ?? ""}`),
      dl([
        ["Total", money(order.total, order.currency)],
        ["Status", `${str(order.status) ?? "—"} / ${str(order.shipping_status) ?? "—"}`],
        [
          "Next due",
          inst.nextDue === null
            ? "Nothing scheduled"
            : `${str(inst.nextDue.due_date) ?? "?"} · ${money(inst.nextDue.amount, inst.nextDue.currency)}`,
        ],
      ]),
    );
    for (const [label, items] of [
      ["Overdue", inst.overdue],
      ["Failed", inst.failed],
    ] as const) {
      if (items.length === 0) continue;
      const ul = h("ul", {});
      for (const i of items) {
        ul.appendChild(
          h(
            "li",
            { class: "bad" },
            `#${String(num(i.sequence) ?? "?")} due ${str(i.due_date) ?? "?"} · ${money(i.amount, i.currency)}`,
            str(i.failure_code) !== null ? ` · ${str(i.failure_code)}` : "",
            str(i.late_fee) !== null && str(i.late_fee) !== "0.00" ? ` · fee ${money(i.late_fee, i.currency)}` : "",
          ),
        );
      }
      append(box, h("div", {}, `${label}:`), ul);
    }
    const refunds = list(order.refunds);
    if (refunds.length > 0) {
      const ul = h("ul", {});
      for (const r of refunds) {
        ul.appendChild(
          h(
            "li",
            {},
            `${str(r.refund_ref) ?? "?"} · ${money(r.amount, r.currency)} · ${str(r.status) ?? "?"}`,
            str(r.expected_by) !== null ? ` · expected ${str(r.expected_by)}` : "",
          ),
        );
      }
      append(box, h("div", {}, "Refunds:"), ul);
    }
    const disputes = list(order.disputes);
    if (disputes.length > 0) {
      const ul = h("ul", {});
      for (const d of disputes) {
        ul.appendChild(h("li", {}, `${str(d.dispute_ref) ?? "?"} · ${str(d.status) ?? "?"} · ${str(d.reason) ?? ""}`));
      }
      append(box, h("div", {}, "Disputes:"), ul);
    }
    ui.contextBody.appendChild(box);
  }
}

// ---- actions ----------------------------------------------------------------------------

function sendReply(): void {
  const id = selected;
  const text = ui.replyText.value.trim();
  if (id === null || text === "") return;
  ui.replyText.value = "";
  const clientMsgId = randomId();
  const attempt = (tries: number): void => {
    call("reply", { conversation_id: id, text, client_msg_id: clientMsgId })
      .then((ack) => {
        const state = conversations.get(id);
        const message = rec(ack.message);
        if (state !== undefined && Object.keys(message).length > 0 && addMessage(state, message) && id === selected) {
          ui.transcript.appendChild(renderMessage(message));
          ui.transcript.scrollTop = ui.transcript.scrollHeight;
        }
      })
      .catch((err: unknown) => {
        // Same client_msg_id on retry: the hub stores it at most once.
        if (tries < 3 && err instanceof Error && /in time/.test(err.message)) {
          window.setTimeout(() => attempt(tries + 1), 1000);
          return;
        }
        ui.replyText.value = text;
        showError(err instanceof Error ? err.message : "The reply was not sent.");
      });
  };
  attempt(1);
}

ui.replyForm.addEventListener("submit", (ev) => {
  ev.preventDefault();
  sendReply();
});
ui.replyText.addEventListener("keydown", (ev) => {
  if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing) {
    ev.preventDefault();
    sendReply();
  }
});
ui.replyText.addEventListener("input", () => {
  const now = Date.now();
  if (selected !== null && socket !== null && now - lastTypingSent > TYPING_EVERY_MS) {
    lastTypingSent = now;
    socket.emit("typing", { conversation_id: selected });
  }
});

function conversationAction(event: string, extra: Json, done: string): void {
  const id = selected;
  if (id === null) return;
  call(event, { conversation_id: id, ...extra })
    .then(() => {
      conversations.delete(id);
      selected = null;
      renderSelected();
      renderMine();
      updateTitle();
      ui.conn.textContent = done;
      requestSnapshot();
    })
    .catch((err: unknown) => showError(err instanceof Error ? err.message : `${event} failed.`));
}

ui.transfer.addEventListener("click", () =>
  conversationAction("transfer", { queue: ui.transferQueue.value }, "Transferred."),
);
ui.handback.addEventListener("click", () => conversationAction("hand_back", {}, "Handed back to the bot."));
ui.close.addEventListener("click", () =>
  conversationAction("close", { disposition: ui.disposition.value }, "Conversation closed."),
);
ui.presence.addEventListener("change", () => {
  ui.presence.removeAttribute("data-confirmed");
  call("presence", { status: ui.presence.value })
    .then((ack) => {
      showPresence(str(ack.presence));
      requestSnapshot();
    })
    .catch((err: unknown) => showError(err instanceof Error ? err.message : "Could not change status."));
});
document.addEventListener("visibilitychange", () => {
  if (document.visibilityState === "visible" && selected !== null) {
    const state = conversations.get(selected);
    if (state !== undefined && state.unread > 0) {
      state.unread = 0;
      renderSelected();
      renderMine();
      updateTitle();
    }
  }
});

// Waiting times tick without a server round trip; the server corrects them on every snapshot.
window.setInterval(() => {
  if (me === null) return;
  const nodes = ui.queueList.querySelectorAll<HTMLElement>("[data-wait]");
  nodes.forEach((node) => {
    const item = waiting[Number(node.dataset.wait)];
    if (item !== undefined) node.textContent = liveWait(item, waitingReceivedAt, "wait_seconds");
  });
  renderStats();
}, 1000);
// A safety net in case a push is missed while reconnecting.
window.setInterval(() => {
  if (socket?.connected === true) requestSnapshot();
}, 15_000);

const saved = loadLogin();
if (saved !== null) {
  startConsole(saved);
} else {
  showLogin("");
}
