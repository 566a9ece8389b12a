import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { linkify, safeHref } from "../src/shared/text";

describe("safeHref", () => {
  const cases: [string, string | null][] = [
    ["https://example.com/a?b=1", "https://example.com/a?b=1"],
    ["http://example.com", "http://example.com/"],
    ["mailto:help@example.com", "mailto:help@example.com"],
    ["tel:+34600111222", "tel:+34600111222"],
    ["javascript:alert(1)", null],
    ["JaVaScRiPt:alert(1)", null],
    ["java\tscript:alert(1)", null],
    ["data:text/html,<script>alert(1)</script>", null],
    ["vbscript:msgbox", null],
    ["/relative/path", null],
    ["", null],
    ["https://exa mple.com", null],
  ];
  for (const [input, expected] of cases) {
    it(`${JSON.stringify(input)} -> ${String(expected)}`, () => {
      assert.equal(safeHref(input), expected);
    });
  }
});

describe("linkify", () => {
  it("keeps plain text (including HTML) as one text segment", () => {
    const text = "<img src=x onerror=alert(1)> & <b>hi</b>";
    assert.deepEqual(linkify(text), [{ kind: "text", text }]);
  });

  it("finds bare URLs and strips trailing punctuation", () => {
    assert.deepEqual(linkify("See https://shop.example/returns. Thanks"), [
      { kind: "text", text: "See " },
      { kind: "link", text: "https://shop.example/returns", href: "https://shop.example/returns" },
      { kind: "text", text: ". Thanks" },
    ]);
  });

  it("renders markdown links with a safe target", () => {
    assert.deepEqual(linkify("Pay [here](https://pay.example/x) now"), [
      { kind: "text", text: "Pay " },
      { kind: "link", text: "here", href: "https://pay.example/x" },
      { kind: "text", text: " now" },
    ]);
  });

  it("leaves markdown links with unsafe targets as text", () => {
    const text = "click [me](javascript:alert(1))";
    const segments = linkify(text);
    assert.ok(segments.every((s) => s.kind === "text"));
    assert.equal(segments.map((s) => s.text).join(""), text);
  });
});
