/**
 * widget.js entry point: `PayAssist.init({...})` on any page.
 *
 *   <script src="https://hub.example/widget.js"></script>
 *   <script>PayAssist.init({ hubUrl: "https://hub.example", token: "<jwt from your backend>" });</script>
 */
import { ChatWidget, type WidgetOptions } from "./widget";

let current: ChatWidget | null = null;

function scriptOrigin(): string | undefined {
  const script = document.currentScript;
  if (script instanceof HTMLScriptElement && script.src !== "") {
    return new URL(script.src).origin;
  }
  return undefined;
}

const defaultHub = scriptOrigin();

function localStore(): Storage | null {
  try {
    return window.localStorage;
  } catch {
    return null;
  }
}

/** Creates the widget (replacing a previous one); returns a handle to open/close/destroy it. */
function init(options: WidgetOptions = {}): ChatWidget {
  current?.destroy();
  const resolved: WidgetOptions = { ...options };
  if (resolved.hubUrl === undefined && defaultHub !== undefined) {
    resolved.hubUrl = defaultHub;
  }
  const start = (): ChatWidget => {
    current = new ChatWidget(resolved, localStore());
    return current;
  };
  if (document.body === null) {
    throw new Error("PayAssist.init must run after <body> exists");
  }
  return start();
}

function destroy(): void {
  current?.destroy();
  current = null;
}

const api = { init, destroy, version: "0.1.0" };
(window as unknown as { PayAssist: typeof api }).PayAssist = api;
