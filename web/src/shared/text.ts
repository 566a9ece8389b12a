/**
 * Turning untrusted text into safe pieces for the DOM.
 *
 * Everything a customer, an agent or the bot wrote reaches the page through
 * `textContent`; the only markup we ever create is an `<a>` whose `href` passed
 * `safeHref`. Nothing here touches `innerHTML`, so `<img onerror=...>` stays text.
 */

export type Segment =
  | { kind: "text"; text: string }
  | { kind: "link"; text: string; href: string };

const ALLOWED_PROTOCOLS = new Set(["http:", "https:", "mailto:", "tel:"]);

/**
 * Returns a normalised absolute URL when it is safe to put in an `href`, else null.
 *
 * Only http(s), mailto and tel are allowed: `javascript:`, `data:` and friends
 * are refused, as are relative URLs (they would resolve against the host page).
 */
export function safeHref(raw: string): string | null {
  const trimmed = raw.trim();
  // Control characters and whitespace inside a scheme are a classic filter bypass.
  if (trimmed === "" || /[\u0000-\u001f\u007f\s]/.test(trimmed)) {
    return null;
  }
  let url: URL;
  try {
    url = new URL(trimmed);
  } catch {
    return null;
  }
  return ALLOWED_PROTOCOLS.has(url.protocol) ? url.href : null;
}

// [title](url) as Rasa responses often carry, or a bare http(s) URL.
const LINK_RE = /\[([^\]\n]{1,200})\]\(([^)\s]{1,2000})\)|\bhttps?:\/\/[^\s<>"'`]+/gi;
const TRAILING_PUNCTUATION = /[.,;:!?)\]}'"]+$/;

/** Splits text into plain and link segments; unsafe link targets stay plain text. */
export function linkify(text: string): Segment[] {
  const out: Segment[] = [];
  let last = 0;
  const pushText = (value: string): void => {
    if (value === "") {
      return;
    }
    const prev = out[out.length - 1];
    if (prev !== undefined && prev.kind === "text") {
      prev.text += value;
    } else {
      out.push({ kind: "text", text: value });
    }
  };
  for (const match of text.matchAll(LINK_RE)) {
    const start = match.index ?? 0;
    let whole = match[0];
    let label: string;
    let target: string;
    if (match[1] !== undefined && match[2] !== undefined) {
      label = match[1];
      target = match[2];
    } else {
      const trailing = TRAILING_PUNCTUATION.exec(whole);
      if (trailing !== null) {
        whole = whole.slice(0, whole.length - trailing[0].length);
      }
      label = whole;
      target = whole;
    }
    pushText(text.slice(last, start));
    const href = safeHref(target);
    if (href === null) {
      pushText(whole);
    } else {
      out.push({ kind: "link", text: label, href });
    }
    last = start + whole.length;
  }
  pushText(text.slice(last));
  return out;
}
