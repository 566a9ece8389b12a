/**
 * The widget's view of the transcript: dedupe by server id and local client id.
 *
 * Messages reach the widget three ways (live events, the ack of our own send,
 * and the replay after a reconnect or reload); this log decides whether a
 * message is new so none is ever shown twice.
 */

export type SenderType = "customer" | "bot" | "agent" | "system";

export interface ChatButton {
  title: string;
  payload: string;
}

export interface ChatMessage {
  /** Server id; null while our own message waits for its ack. */
  id: number | null;
  clientMsgId: string | null;
  sender: SenderType;
  senderName: string | null;
  text: string;
  buttons: ChatButton[];
  attachmentUrl: string | null;
  ts: string | null;
  /** What a button click sends when it differs from the text shown (our own messages only). */
  payload?: string;
}

/**
 * Normalises a `bot_uttered` / replayed message payload from the hub.
 *
 * The hub sends Rasa's exact shapes (`{text}`, `{text, quick_replies}`, `{attachment}`) so
 * that existing Rasa widgets draw them, and puts its own fields under `metadata`: `id`,
 * `sender`, `ts`, `handoff_status`, and for an agent's message `text` without the
 * "<name> from our team:" attribution old widgets need. Flat fields are read as a fallback.
 */
export function parseServerMessage(raw: unknown): ChatMessage | null {
  if (typeof raw !== "object" || raw === null) {
    return null;
  }
  const body = raw as Record<string, unknown>;
  const meta =
    typeof body.metadata === "object" && body.metadata !== null ? (body.metadata as Record<string, unknown>) : {};
  const rec: Record<string, unknown> = { ...body, ...meta };
  if (typeof meta.text !== "string") {
    rec.text = body.text;
  }
  const senderRec =
    typeof rec.sender === "object" && rec.sender !== null ? (rec.sender as Record<string, unknown>) : {};
  const senderType =
    typeof senderRec.type === "string"
      ? senderRec.type
      : typeof rec.sender_type === "string"
        ? rec.sender_type
        : "bot";
  const sender: SenderType = ["customer", "bot", "agent", "system"].includes(senderType)
    ? (senderType as SenderType)
    : "bot";
  const name =
    typeof senderRec.name === "string"
      ? senderRec.name
      : typeof rec.sender_name === "string"
        ? rec.sender_name
        : null;
  const buttons: ChatButton[] = [];
  // Rasa's channel sends buttons as `quick_replies`; older payloads may carry `buttons`.
  for (const list of [Array.isArray(rec.quick_replies) ? rec.quick_replies : rec.buttons]) {
    if (!Array.isArray(list)) {
      continue;
    }
    for (const b of list) {
      if (typeof b === "object" && b !== null) {
        const br = b as Record<string, unknown>;
        const title = typeof br.title === "string" ? br.title : null;
        const payload = typeof br.payload === "string" ? br.payload : title;
        if (title !== null && payload !== null) {
          buttons.push({ title, payload });
        }
      }
    }
  }
  let attachmentUrl: string | null = null;
  if (typeof rec.attachment === "object" && rec.attachment !== null) {
    const att = rec.attachment as Record<string, unknown>;
    const payload =
      typeof att.payload === "object" && att.payload !== null ? (att.payload as Record<string, unknown>) : {};
    const src = payload.src ?? payload.url ?? att.url;
    attachmentUrl = typeof src === "string" ? src : null;
  } else if (typeof rec.attachment === "string") {
    attachmentUrl = rec.attachment;
  }
  const text = typeof rec.text === "string" ? rec.text : "";
  if (text === "" && buttons.length === 0 && attachmentUrl === null) {
    return null;
  }
  return {
    id: typeof rec.id === "number" && Number.isInteger(rec.id) ? rec.id : null,
    clientMsgId: typeof rec.client_msg_id === "string" ? rec.client_msg_id : null,
    sender,
    senderName: name,
    text,
    buttons,
    attachmentUrl,
    ts: typeof rec.ts === "string" ? rec.ts : null,
  };
}

export class MessageLog {
  private readonly seenIds = new Set<number>();
  private readonly pending = new Map<string, ChatMessage>();
  private readonly ackedClientIds = new Set<string>();
  private maxId: number | null = null;

  /** The highest server id accepted so far (what `resume` asks after). */
  get lastSeenId(): number | null {
    return this.maxId;
  }

  /**
   * Accepts a message from the server; false when it is a duplicate.
   *
   * A replayed copy of our own message (same client id) counts as a duplicate
   * of the optimistic one already on screen.
   */
  acceptServer(msg: ChatMessage): boolean {
    if (msg.id !== null) {
      if (this.seenIds.has(msg.id)) {
        return false;
      }
      this.noteId(msg.id);
    }
    if (msg.clientMsgId !== null) {
      if (this.pending.has(msg.clientMsgId)) {
        const local = this.pending.get(msg.clientMsgId);
        if (local !== undefined && msg.id !== null) {
          local.id = msg.id;
        }
        this.pending.delete(msg.clientMsgId);
        this.ackedClientIds.add(msg.clientMsgId);
        return false;
      }
      if (this.ackedClientIds.has(msg.clientMsgId)) {
        return false;
      }
    }
    return true;
  }

  /** Registers our own message shown before the server acknowledged it. */
  addPending(msg: ChatMessage): void {
    if (msg.clientMsgId !== null) {
      this.pending.set(msg.clientMsgId, msg);
    }
  }

  /**
   * Marks our message as stored by the server under `id`.
   *
   * `storedText` is the text the server stored when it differs from what we sent (card
   * numbers and the like are masked): our copy takes it, and the typed text is forgotten.
   */
  acknowledge(clientMsgId: string, id: number, storedText: string | null = null): void {
    const local = this.pending.get(clientMsgId);
    if (local !== undefined) {
      local.id = id;
      if (storedText !== null) {
        local.text = storedText;
        local.payload = storedText;
      }
      this.pending.delete(clientMsgId);
    }
    this.ackedClientIds.add(clientMsgId);
    this.noteId(id);
  }

  /** Our messages still waiting for an ack, oldest first, to resend after reconnecting. */
  unacknowledged(): ChatMessage[] {
    return Array.from(this.pending.values());
  }

  isPending(clientMsgId: string): boolean {
    return this.pending.has(clientMsgId);
  }

  /** Forgets a message the server refused for good. */
  drop(clientMsgId: string): void {
    this.pending.delete(clientMsgId);
  }

  /** Forgets server ids (new conversation) but keeps unsent messages to resend there. */
  resetIds(): void {
    this.seenIds.clear();
    this.ackedClientIds.clear();
    this.maxId = null;
  }

  reset(): void {
    this.seenIds.clear();
    this.pending.clear();
    this.ackedClientIds.clear();
    this.maxId = null;
  }

  private noteId(id: number): void {
    this.seenIds.add(id);
    if (this.maxId === null || id > this.maxId) {
      this.maxId = id;
    }
  }
}
