import assert from "node:assert/strict";
import { describe, it } from "node:test";

import {
  Announcer,
  conversationLanguage,
  customerLabel,
  dispositionLabel,
  dispositionsOf,
  languageLabel,
  languagesOf,
  money,
  reasonLabel,
  summariseInstalments,
} from "../src/console/model";

describe("money", () => {
  it("keeps the exact decimal string with its currency", () => {
    assert.equal(money("120.50", "EUR"), "EUR 120.50");
    assert.equal(money("0.10", "USD"), "USD 0.10");
  });
  it("refuses anything that is not a decimal", () => {
    assert.equal(money("1e3", "EUR"), "—");
    assert.equal(money(null, "EUR"), "—");
  });
});

describe("summariseInstalments", () => {
  it("finds the earliest scheduled, the overdue and the failed instalments", () => {
    const order = {
      plan: {
        instalments: [
          { sequence: 4, due_date: "2024-08-01", status: "scheduled" },
          { sequence: 3, due_date: "2024-07-01", status: "scheduled" },
          { sequence: 2, due_date: "2024-06-01", status: "failed" },
          { sequence: 1, due_date: "2024-05-01", status: "overdue" },
          { sequence: 0, due_date: "2024-04-01", status: "paid" },
        ],
      },
    };
    const s = summariseInstalments(order);
    assert.equal(s.nextDue?.sequence, 3);
    assert.deepEqual(s.overdue.map((i) => i.sequence), [1]);
    assert.deepEqual(s.failed.map((i) => i.sequence), [2]);
  });
  it("copes with an order without a plan", () => {
    assert.deepEqual(summariseInstalments({ plan: null }), { nextDue: null, overdue: [], failed: [] });
  });
});

describe("labels", () => {
  it("labels customers and reasons", () => {
    assert.equal(customerLabel({ customer_ref: "cus_alice" }), "cus_alice");
    assert.equal(customerLabel({}), "Anonymous visitor");
    assert.equal(reasonLabel("bot_failure"), "Bot failure");
    assert.equal(reasonLabel("odd_reason"), "odd_reason");
  });
});

describe("Announcer", () => {
  it("primes on the first snapshot, then reports only new ids", () => {
    const a = new Announcer();
    assert.deepEqual(a.newIds(["c1"]), []);
    assert.deepEqual(a.newIds(["c1", "c2"]), ["c2"]);
    assert.deepEqual(a.newIds(["c2"]), []);
  });
});

describe("dispositions", () => {
  it("reads the hub's list in order, strings only, without duplicates", () => {
    assert.deepEqual(dispositionsOf({ dispositions: ["resolved", "callback_booked", 3, "", "resolved"] }), [
      "resolved",
      "callback_booked",
    ]);
    assert.deepEqual(dispositionsOf({}), []);
  });
  it("labels known codes in words and others readably", () => {
    assert.equal(dispositionLabel("follow_up"), "Needs follow-up");
    assert.equal(dispositionLabel("callback_booked"), "Callback booked");
    assert.equal(dispositionLabel("___"), "___");
  });
});

describe("languages (issue 19)", () => {
  it("names a conversation's language with the page's tag", () => {
    assert.equal(conversationLanguage({ language: "es", page_language: "es-MX" }), "Spanish (page es-MX)");
    assert.equal(conversationLanguage({ language: "en" }), "English");
    assert.equal(conversationLanguage({}), "English");
    assert.equal(languageLabel("de"), "DE");
  });

  it("reads an agent's languages", () => {
    assert.deepEqual(languagesOf(["es", "en", 3, ""]), ["es", "en"]);
    assert.deepEqual(languagesOf(undefined), []);
  });
});
