import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { Throttle, formatDuration } from "../src/shared/format";
import { validateContact } from "../src/widget/contact";
import { type ChatMessage, MessageLog, parseServerMessage } from "../src/widget/messages";
import { SessionStore } from "../src/widget/session";
import { pageLanguage, stringsFor, widgetLanguage } from "../src/widget/strings";

class MapStorage {
  readonly data = new Map<string, string>();
  getItem(key: string): string | null {
    return this.data.get(key) ?? null;
  }
  setItem(key: string, value: string): void {
    this.data.set(key, value);
  }
  removeItem(key: string): void {
    this.data.delete(key);
  }
}

function msg(id: number | null, clientMsgId: string | null = null): ChatMessage {
  return { id, clientMsgId, sender: "bot", senderName: null, text: "x", buttons: [], attachmentUrl: null, ts: null };
}

describe("MessageLog", () => {
  it("accepts each server id once and tracks the highest", () => {
    const log = new MessageLog();
    assert.equal(log.acceptServer(msg(3)), true);
    assert.equal(log.acceptServer(msg(1)), true);
    assert.equal(log.acceptServer(msg(3)), false);
    assert.equal(log.lastSeenId, 3);
  });

  it("treats the replay of our own acknowledged message as a duplicate", () => {
    const log = new MessageLog();
    const mine = { ...msg(null, "c1"), sender: "customer" as const };
    log.addPending(mine);
    log.acknowledge("c1", 7);
    assert.equal(mine.id, 7);
    assert.equal(log.acceptServer({ ...msg(7, "c1"), sender: "customer" }), false);
    assert.deepEqual(log.unacknowledged(), []);
  });

  it("takes the text the server stored (masked) in place of what we typed", () => {
    const log = new MessageLog();
    const mine = { ...msg(null, "c9"), sender: "customer" as const, text: "card 4111 1111 1111 1111" };
    log.addPending(mine);
    log.acknowledge("c9", 8, "card •••• •••• •••• 1111");
    assert.equal(mine.text, "card •••• •••• •••• 1111");
    assert.equal(mine.payload, "card •••• •••• •••• 1111");
    assert.equal(mine.id, 8);
  });

  it("matches a replayed message to a still-pending one by client id", () => {
    const log = new MessageLog();
    const mine = { ...msg(null, "c2"), sender: "customer" as const };
    log.addPending(mine);
    assert.equal(log.acceptServer({ ...msg(9, "c2"), sender: "customer" }), false);
    assert.equal(mine.id, 9);
    assert.equal(log.isPending("c2"), false);
  });

  it("keeps unsent messages across resetIds (new conversation)", () => {
    const log = new MessageLog();
    log.acceptServer(msg(5));
    log.addPending({ ...msg(null, "c3"), sender: "customer" });
    log.resetIds();
    assert.equal(log.lastSeenId, null);
    assert.equal(log.acceptServer(msg(5)), true);
    assert.equal(log.unacknowledged().length, 1);
  });
});

describe("parseServerMessage", () => {
  it("reads sender, buttons and quick replies", () => {
    const m = parseServerMessage({
      id: 4,
      text: "Pick one",
      sender: { type: "agent", name: "Dana" },
      quick_replies: [{ content_type: "text", title: "Yes", payload: "/affirm" }],
      ts: "2024-05-01T10:00:00+00:00",
    });
    if (m === null) throw new Error("expected a message");
    assert.equal(m.sender, "agent");
    assert.equal(m.senderName, "Dana");
    assert.deepEqual(m.buttons, [{ title: "Yes", payload: "/affirm" }]);
  });

  it("reads the hub's metadata and the agent's own words from Rasa-shaped messages", () => {
    const m = parseServerMessage({
      text: "Dana from our team: On it",
      metadata: { id: 9, sender: { type: "agent", name: "Dana" }, ts: "2024-05-01T10:00:00+00:00", text: "On it" },
    });
    if (m === null) throw new Error("expected a message");
    assert.deepEqual([m.id, m.sender, m.senderName, m.text], [9, "agent", "Dana", "On it"]);
    const b = parseServerMessage({
      text: "Which order?",
      quick_replies: [{ content_type: "text", title: "ORD-1", payload: "/inform" }],
      metadata: { id: 10, sender: { type: "bot", name: null }, ts: null },
    });
    assert.deepEqual([b?.id, b?.sender, b?.text, b?.buttons], [10, "bot", "Which order?", [{ title: "ORD-1", payload: "/inform" }]]);
  });

  it("falls back to bot for unknown sender types and drops empty messages", () => {
    assert.equal(parseServerMessage({ text: "hi", sender: { type: "root" } })?.sender, "bot");
    assert.equal(parseServerMessage({ custom: { handoff: {} } }), null);
    assert.equal(parseServerMessage("nope"), null);
  });
});

describe("SessionStore", () => {
  it("round-trips and only moves lastSeenId forward", () => {
    const storage = new MapStorage();
    const store = new SessionStore(storage, "http://hub:8080/");
    assert.equal(store.load(), null);
    store.save({ sessionId: "s1", lastSeenId: null });
    store.markSeen(10);
    store.markSeen(4);
    assert.deepEqual(store.load(), { sessionId: "s1", lastSeenId: 10 });
    store.clear();
    assert.equal(store.load(), null);
  });

  it("ignores malformed stored data", () => {
    const storage = new MapStorage();
    const store = new SessionStore(storage, "http://hub");
    storage.setItem("payassist:session:http://hub", "{not json");
    assert.equal(store.load(), null);
    storage.setItem("payassist:session:http://hub", JSON.stringify({ sessionId: 5 }));
    assert.equal(store.load(), null);
  });
});

describe("validateContact", () => {
  const cases: [string, string, boolean, string[]][] = [
    ["", "", false, ["form"]],
    ["ana@example.com", "", true, []],
    ["", "+34 600 11 22 33", true, []],
    ["not-an-email", "", false, ["email"]],
    ["", "12", false, ["phone"]],
    ["", "call me maybe", false, ["phone"]],
    ["a@b.co", "(555) 123-4567", true, []],
  ];
  for (const [email, phone, ok, errors] of cases) {
    it(`email=${JSON.stringify(email)} phone=${JSON.stringify(phone)}`, () => {
      const result = validateContact({ email, phone, note: "" });
      assert.equal(result.ok, ok);
      assert.deepEqual(Object.keys(result.errors).sort(), errors);
    });
  }
});

describe("formatDuration", () => {
  const cases: [number | null, string | null][] = [
    [null, null],
    [-1, null],
    [12.4, "12 s"],
    [59, "59 s"],
    [150, "3 min"],
    [3600, "1 h"],
    [3900, "1 h 5 min"],
  ];
  for (const [input, expected] of cases) {
    it(`${String(input)} -> ${String(expected)}`, () => {
      assert.equal(formatDuration(input), expected);
    });
  }
});

describe("Throttle", () => {
  it("lets the first call through, then at most one per interval", () => {
    const t = new Throttle(2000);
    assert.equal(t.accept(10_000), true);
    assert.equal(t.accept(10_500), false);
    assert.equal(t.accept(11_999), false);
    assert.equal(t.accept(12_000), true);
    assert.equal(t.accept(12_001), false);
  });
});

describe("languages (issue 19)", () => {
  it("reads Spanish from any Spanish tag and English otherwise", () => {
    assert.equal(widgetLanguage("es-MX"), "es");
    assert.equal(widgetLanguage("ES_es"), "es");
    assert.equal(widgetLanguage("en-GB"), "en");
    assert.equal(widgetLanguage("fr"), "en");
    assert.equal(widgetLanguage(null), "en");
    assert.equal(widgetLanguage("estonian"), "en");
  });

  it("reports the configured language, else <html lang>, and nothing malformed", () => {
    assert.equal(pageLanguage(undefined, "es-MX"), "es-MX");
    assert.equal(pageLanguage("es", "en"), "es");
    assert.equal(pageLanguage(undefined, ""), null);
    assert.equal(pageLanguage(undefined, "<script>"), null);
  });

  it("has a Spanish text for every English one, including busy", () => {
    const en = stringsFor("en");
    const es = stringsFor("es");
    assert.deepEqual(Object.keys(es).sort(), Object.keys(en).sort());
    assert.match(es.busy, /ocupados/);
    for (const key of Object.keys(en) as (keyof typeof en)[]) {
      if (typeof en[key] === "string" && key !== "link") {
        assert.notEqual(es[key], en[key], key);
      }
    }
  });
});
