/**
 * Where the widget remembers its conversation between reloads and tabs.
 *
 * localStorage is shared by every tab of the host origin, so a new tab joins the
 * same session. We keep only the session id (the hub's key to the conversation,
 * as in Rasa's protocol; a verified customer's conversation also needs their token)
 * and the last server message id we showed; message text is never written to
 * storage (shared computers).
 */

export interface StoredSession {
  sessionId: string;
  lastSeenId: number | null;
}

/** The subset of the Web Storage API we use, so tests can pass a Map-backed fake. */
export interface KeyValueStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

export class SessionStore {
  private readonly key: string;

  constructor(
    private readonly storage: KeyValueStorage | null,
    hubUrl: string,
  ) {
    this.key = `payassist:session:${hubUrl.replace(/\/+$/, "")}`;
  }

  /** The stored session, or null when absent, unreadable or malformed. */
  load(): StoredSession | null {
    const raw = this.safeGet();
    if (raw === null) {
      return null;
    }
    let data: unknown;
    try {
      data = JSON.parse(raw);
    } catch {
      return null;
    }
    if (typeof data !== "object" || data === null) {
      return null;
    }
    const rec = data as Record<string, unknown>;
    if (typeof rec.sessionId !== "string" || rec.sessionId === "") {
      return null;
    }
    return {
      sessionId: rec.sessionId,
      lastSeenId:
        typeof rec.lastSeenId === "number" && Number.isInteger(rec.lastSeenId) ? rec.lastSeenId : null,
    };
  }

  save(session: StoredSession): void {
    try {
      this.storage?.setItem(this.key, JSON.stringify(session));
    } catch (err) {
      // Private mode or a full quota: the chat still works, only reload-persistence is lost.
      console.warn("PayAssist: cannot persist the chat session", err);
    }
  }

  /** Records the newest server id shown, never moving backwards. */
  markSeen(id: number): void {
    const current = this.load();
    if (current === null || (current.lastSeenId !== null && current.lastSeenId >= id)) {
      return;
    }
    this.save({ ...current, lastSeenId: id });
  }

  clear(): void {
    try {
      this.storage?.removeItem(this.key);
    } catch (err) {
      console.warn("PayAssist: cannot clear the chat session", err);
    }
  }

  private safeGet(): string | null {
    try {
      return this.storage?.getItem(this.key) ?? null;
    } catch {
      return null;
    }
  }
}
