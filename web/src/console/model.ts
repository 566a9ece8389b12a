/**
 * Pure helpers of the agent console: reading the hub's JSON views and deriving
 * what an agent needs at a glance (next instalment, overdue and failed ones,
 * money with its currency). Kept free of DOM so node's test runner covers them.
 */

export type Json = Record<string, unknown>;

export function rec(value: unknown): Json {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Json) : {};
}

export function list(value: unknown): Json[] {
  return Array.isArray(value) ? value.map(rec) : [];
}

export function str(value: unknown): string | null {
  return typeof value === "string" && value !== "" ? value : null;
}

export function num(value: unknown): number | null {
  return typeof value === "number" && Number.isFinite(value) ? value : null;
}

/**
 * "EUR 120.50" from a decimal string (the hub sends money as exact strings).
 *
 * We never parse money into a float; we only validate the shape and show it
 * with its currency code so nothing is rounded or mislabelled.
 */
export function money(amount: unknown, currency: unknown): string {
  const a = typeof amount === "number" ? String(amount) : str(amount);
  const c = str(currency) ?? "";
  if (a === null || !/^-?\d+(\.\d+)?$/.test(a)) {
    return "—";
  }
  return c === "" ? a : `${c} ${a}`;
}

export interface InstalmentSummary {
  nextDue: Json | null;
  overdue: Json[];
  failed: Json[];
}

/** Next scheduled instalment (earliest due date) plus overdue and failed ones of one order. */
export function summariseInstalments(order: Json): InstalmentSummary {
  const plan = rec(order.plan);
  const instalments = list(plan.instalments);
  const byDate = (a: Json, b: Json): number => String(a.due_date ?? "").localeCompare(String(b.due_date ?? ""));
  const scheduled = instalments.filter((i) => i.status === "scheduled").sort(byDate);
  return {
    nextDue: scheduled[0] ?? null,
    overdue: instalments.filter((i) => i.status === "overdue").sort(byDate),
    failed: instalments.filter((i) => i.status === "failed").sort(byDate),
  };
}

/** The customer label used in lists: name if known, else the ref, else "Anonymous". */
const LANGUAGE_NAMES: Record<string, string> = { en: "English", es: "Spanish" };

/** A language code as agents read it ("es" -> "Spanish"); English when missing. */
export function languageLabel(code: unknown): string {
  const value = typeof code === "string" && code !== "" ? code.toLowerCase() : "en";
  return LANGUAGE_NAMES[value] ?? value.toUpperCase();
}

/** The conversation's language with the page's tag when known: "Spanish (page es-MX)". */
export function conversationLanguage(view: Json): string {
  const page = typeof view.page_language === "string" && view.page_language !== "" ? view.page_language : null;
  return `${languageLabel(view.language)}${page !== null ? ` (page ${page})` : ""}`;
}

/** An agent's languages from the hub's JSON ("languages": ["es", "en"]). */
export function languagesOf(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string" && v !== "") : [];
}

export function customerLabel(item: Json): string {
  return str(item.customer_name) ?? str(item.customer_ref) ?? "Anonymous visitor";
}

/** Human label for a handoff reason code. */
export function reasonLabel(reason: unknown): string {
  switch (reason) {
    case "explicit_request":
      return "Asked for a person";
    case "frustration":
      return "Frustration detected";
    case "topic":
      return "Sensitive topic";
    case "bot_failure":
      return "Bot failure";
    default:
      return str(reason) ?? "—";
  }
}

/** Known close dispositions (hub.yml's defaults) in words; others are shown as written. */
const DISPOSITION_LABELS: Record<string, string> = {
  resolved: "Resolved",
  follow_up: "Needs follow-up",
  escalated: "Escalated",
  no_response: "Customer left",
  other: "Other",
};

/** Human label for a disposition code from the hub's snapshot ("follow_up" -> "Needs follow-up"). */
export function dispositionLabel(code: string): string {
  const known = DISPOSITION_LABELS[code];
  if (known !== undefined) return known;
  const words = code.replace(/[_-]+/g, " ").trim();
  return words === "" ? code : words.charAt(0).toUpperCase() + words.slice(1);
}

/** The dispositions a snapshot offers (strings only, order kept, duplicates dropped). */
export function dispositionsOf(snapshot: Json): string[] {
  const raw = Array.isArray(snapshot.dispositions) ? snapshot.dispositions : [];
  return Array.from(new Set(raw.filter((d): d is string => typeof d === "string" && d !== "")));
}

/** Tracks which conversations the agent has already been told about (announce only new ones). */
export class Announcer {
  private readonly known = new Set<string>();
  private primed = false;

  /** Returns ids not seen before; the very first snapshot primes without announcing. */
  newIds(ids: string[]): string[] {
    const fresh = ids.filter((id) => !this.known.has(id));
    for (const id of ids) {
      this.known.add(id);
    }
    if (!this.primed) {
      this.primed = true;
      return [];
    }
    return fresh;
  }
}
