/** Small, locale-aware formatting helpers shared by the widget and the console. */

/** Clock time ("14:05") of an ISO timestamp, in the viewer's time zone. */
export function formatClock(iso: string | undefined | null, locale: string): string {
  if (iso === undefined || iso === null || iso === "") {
    return "";
  }
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) {
    return "";
  }
  return new Intl.DateTimeFormat(locale, { hour: "2-digit", minute: "2-digit" }).format(date);
}

/**
 * A human duration ("45 s", "3 min", "1 h 5 min") for waiting times.
 *
 * Returns null for null/negative input so callers must decide what an unknown
 * wait looks like instead of showing a made-up number.
 */
export function formatDuration(seconds: number | null | undefined): string | null {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds) || seconds < 0) {
    return null;
  }
  const s = Math.round(seconds);
  if (s < 60) {
    return `${s} s`;
  }
  const minutes = Math.round(s / 60);
  if (minutes < 60) {
    return `${minutes} min`;
  }
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  return m === 0 ? `${h} h` : `${h} h ${m} min`;
}

/** A random id for client-side message ids (idempotent retries). */
export function randomId(): string {
  const bytes = new Uint8Array(12);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * Lets an action through at most once per `intervalMs` (e.g. "the customer is typing").
 *
 * The caller passes the clock so tests need no timers; the first call always passes.
 */
export class Throttle {
  private last = Number.NEGATIVE_INFINITY;

  constructor(private readonly intervalMs: number) {}

  /** True when enough time has passed since the last accepted call (which this one becomes). */
  accept(nowMs: number): boolean {
    if (nowMs - this.last < this.intervalMs) {
      return false;
    }
    this.last = nowMs;
    return true;
  }
}
