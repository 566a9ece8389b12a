/**
 * The demo merchant page: pick a demo customer (or anonymous) and start the widget.
 *
 * The token is minted by the hub in demo mode only (`POST /api/demo/token`); the
 * choice is remembered in sessionStorage so a reload keeps the same customer and
 * therefore the same chat session.
 */
interface DemoCustomer {
  customer_ref: string;
  name: string;
}

interface PayAssistApi {
  init(options: Record<string, unknown>): unknown;
}

const CHOICE_KEY = "payassist-demo:customer";
const LANGUAGES = new Set(["en", "es"]);

/**
 * `?lang=es` makes this a Spanish page (`<html lang="es">`), as a merchant's Spanish site would
 * be; the widget reads the page's language when it starts (issue 19).
 */
function applyPageLanguage(): void {
  const wanted = new URLSearchParams(window.location.search).get("lang");
  if (wanted !== null && LANGUAGES.has(wanted)) {
    document.documentElement.lang = wanted;
  }
}

function payAssist(): PayAssistApi {
  return (window as unknown as { PayAssist: PayAssistApi }).PayAssist;
}

function byId<T extends HTMLElement>(id: string): T {
  const node = document.getElementById(id);
  if (node === null) {
    throw new Error(`demo page is missing #${id}`);
  }
  return node as T;
}

async function loadCustomers(select: HTMLSelectElement): Promise<void> {
  const resp = await fetch("/api/demo/customers", { headers: { Accept: "application/json" } });
  if (!resp.ok) {
    throw new Error(`GET /api/demo/customers: HTTP ${resp.status}`);
  }
  const body: unknown = await resp.json();
  const list = Array.isArray(body) ? body : (body as { customers?: unknown }).customers;
  if (!Array.isArray(list)) {
    throw new Error("unexpected /api/demo/customers response");
  }
  for (const c of list as DemoCustomer[]) {
    if (typeof c.customer_ref !== "string") continue;
    const opt = document.createElement("option");
    opt.value = c.customer_ref;
    opt.textContent = `${typeof c.name === "string" ? c.name : c.customer_ref} (${c.customer_ref})`;
    select.appendChild(opt);
  }
}

async function mintToken(customerRef: string): Promise<string> {
  const resp = await fetch("/api/demo/token", {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/json" },
    body: JSON.stringify({ customer_ref: customerRef }),
  });
  if (!resp.ok) {
    throw new Error(`POST /api/demo/token: HTTP ${resp.status}`);
  }
  const body = (await resp.json()) as { token?: unknown };
  if (typeof body.token !== "string") {
    throw new Error("unexpected /api/demo/token response");
  }
  return body.token;
}

async function start(customerRef: string, status: HTMLElement): Promise<void> {
  const token = customerRef === "" ? null : await mintToken(customerRef);
  payAssist().init({ hubUrl: window.location.origin, token, title: "Northwind · Payments help" });
  status.textContent =
    customerRef === "" ? "Chatting as an anonymous visitor." : `Chatting as demo customer ${customerRef}.`;
}

async function main(): Promise<void> {
  applyPageLanguage();
  const select = byId<HTMLSelectElement>("demo-customer");
  const form = byId<HTMLFormElement>("demo-form");
  const status = byId<HTMLElement>("demo-status");
  let saved = "";
  try {
    saved = window.sessionStorage.getItem(CHOICE_KEY) ?? "";
  } catch {
    saved = "";
  }
  try {
    await loadCustomers(select);
  } catch (err) {
    status.textContent = "Could not load the demo customers; chatting anonymously.";
    console.error(err);
  }
  if (Array.from(select.options).some((o) => o.value === saved)) {
    select.value = saved;
  }
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const choice = select.value;
    try {
      window.sessionStorage.setItem(CHOICE_KEY, choice);
    } catch {
      // Without storage the choice simply is not remembered across reloads.
    }
    start(choice, status).catch((err: unknown) => {
      status.textContent = "Could not start the chat for that customer.";
      console.error(err);
    });
  });
  await start(select.value, status);
}

main().catch((err: unknown) => console.error("PayAssist demo", err));
