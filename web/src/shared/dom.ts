/**
 * A tiny element builder that can only create text nodes and attributes.
 *
 * It is the single way the widget and the console build DOM, so there is no
 * code path that parses a string as HTML.
 */
import { linkify } from "./text";

export type Child = Node | string | null | undefined | false;
export type Attrs = Record<string, string | number | boolean | null | undefined>;

/** Creates `<tag>` with attributes (null/false skipped, true = empty) and children. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) {
      continue;
    }
    if (/^on/i.test(name)) {
      throw new Error(`refusing to set event handler attribute ${name}`);
    }
    node.setAttribute(name, value === true ? "" : String(value));
  }
  append(node, ...children);
  return node;
}

/** Appends children; strings become text nodes. */
export function append(parent: Node, ...children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) {
      continue;
    }
    parent.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
  }
}

/** Renders untrusted text with safe links (new tab, no referrer, no opener). */
export function richText(text: string): DocumentFragment {
  const frag = document.createDocumentFragment();
  for (const seg of linkify(text)) {
    if (seg.kind === "text") {
      frag.appendChild(document.createTextNode(seg.text));
    } else {
      const a = document.createElement("a");
      a.href = seg.href;
      a.target = "_blank";
      a.rel = "noopener noreferrer nofollow";
      a.textContent = seg.text;
      frag.appendChild(a);
    }
  }
  return frag;
}

/** Removes every child of a node. */
export function clear(node: Node): void {
  while (node.firstChild !== null) {
    node.removeChild(node.firstChild);
  }
}
