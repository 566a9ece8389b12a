/**
 * The widget's CSS, injected into its shadow root so host-page styles cannot
 * break it and it cannot break the host page. Colours are custom properties the
 * host overrides through `PayAssist.init({colors})`.
 */
export const WIDGET_CSS = `
:host { all: initial; }
* { box-sizing: border-box; }
.pa {
  --pa-primary: #1d4ed8; --pa-on-primary: #ffffff; --pa-bg: #ffffff; --pa-text: #111827;
  --pa-muted: #4b5563; --pa-bot: #f3f4f6; --pa-agent: #ecfdf5; --pa-agent-accent: #047857;
  --pa-customer: var(--pa-primary); --pa-on-customer: var(--pa-on-primary); --pa-focus: #f59e0b;
  font: 15px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--pa-text);
  position: fixed; right: 16px; bottom: 16px; z-index: 2147483000;
}
button, input, textarea { font: inherit; }
:focus-visible { outline: 3px solid var(--pa-focus); outline-offset: 2px; }
.sr { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
.launcher {
  display: flex; align-items: center; gap: 8px; border: 0; border-radius: 28px; padding: 12px 18px;
  background: var(--pa-primary); color: var(--pa-on-primary); cursor: pointer; font-weight: 600;
  box-shadow: 0 4px 14px rgba(0,0,0,.25); margin-left: auto;
}
.badge { background: #dc2626; color: #fff; border-radius: 10px; padding: 0 7px; font-size: 12px; }
.panel {
  display: flex; flex-direction: column; width: 380px; max-width: calc(100vw - 32px);
  height: 600px; max-height: calc(100vh - 32px); background: var(--pa-bg); border-radius: 12px;
  box-shadow: 0 10px 30px rgba(0,0,0,.3); overflow: hidden;
}
.panel[hidden], .launcher[hidden], [hidden] { display: none !important; }
@media (max-width: 480px) {
  .pa { right: 0; bottom: 0; left: 0; }
  .pa .launcher { margin: 0 12px 12px auto; }
  .panel { width: 100vw; max-width: 100vw; height: 100vh; max-height: 100vh; border-radius: 0; }
}
header { padding: 10px 12px; background: var(--pa-primary); color: var(--pa-on-primary); }
header .row { display: flex; align-items: center; gap: 8px; justify-content: space-between; }
header .row + .row { margin-top: 6px; }
header h2 { font-size: 16px; margin: 0; flex: 1 1 auto; min-width: 0; }
.status { font-size: 12px; opacity: .9; margin: 0; }
.human {
  border: 2px solid var(--pa-on-primary); background: transparent; color: var(--pa-on-primary);
  border-radius: 16px; padding: 4px 10px; cursor: pointer; font-weight: 600; font-size: 13px;
}
.human:disabled { opacity: .6; cursor: default; }
.x { border: 0; background: transparent; color: var(--pa-on-primary); font-size: 22px; line-height: 1; cursor: pointer; padding: 2px 6px; }
.banner { padding: 8px 12px; background: #fffbeb; border-bottom: 1px solid #fde68a; font-size: 14px; }
.banner button, .csat button, .contact button[type=submit] {
  margin-top: 6px; border: 1px solid var(--pa-primary); background: #fff; color: var(--pa-primary);
  border-radius: 6px; padding: 4px 10px; cursor: pointer;
}
.log { list-style: none; margin: 0; padding: 12px; overflow-y: auto; flex: 1 1 auto; display: flex; flex-direction: column; gap: 10px; }
.msg { max-width: 85%; display: flex; flex-direction: column; gap: 2px; }
.msg .meta { font-size: 12px; color: var(--pa-muted); }
.msg .bubble { padding: 8px 11px; border-radius: 12px; white-space: pre-wrap; overflow-wrap: anywhere; }
.msg.bot .bubble { background: var(--pa-bot); border-top-left-radius: 3px; }
.msg.agent .bubble { background: var(--pa-agent); border: 1px solid var(--pa-agent-accent); border-top-left-radius: 3px; }
.msg.agent .who { color: var(--pa-agent-accent); font-weight: 700; }
.msg.customer { align-self: flex-end; align-items: flex-end; }
.msg.customer .bubble { background: var(--pa-customer); color: var(--pa-on-customer); border-top-right-radius: 3px; }
.msg.customer .bubble a { color: inherit; }
.msg.system { align-self: center; max-width: 95%; text-align: center; }
.msg.system .bubble { background: transparent; color: var(--pa-muted); font-size: 13px; padding: 2px 6px; }
.msg.pending .bubble { opacity: .65; }
.msg.rejected .bubble { opacity: .5; text-decoration: line-through; }
.divider { align-self: center; font-size: 12px; color: #b91c1c; }
.buttons { display: flex; flex-wrap: wrap; gap: 6px; margin-top: 4px; }
.buttons button {
  border: 1px solid var(--pa-primary); color: var(--pa-primary); background: #fff; border-radius: 16px;
  padding: 5px 12px; cursor: pointer;
}
.buttons button:disabled { opacity: .55; cursor: default; }
.typing { padding: 0 12px 6px; font-size: 13px; color: var(--pa-muted); font-style: italic; min-height: 1.4em; }
.contact, .csat { padding: 10px 12px; border-top: 1px solid #e5e7eb; display: flex; flex-direction: column; gap: 6px; font-size: 14px; }
.contact label { display: flex; flex-direction: column; gap: 2px; }
.contact input, .contact textarea { border: 1px solid #9ca3af; border-radius: 6px; padding: 6px 8px; }
.contact [aria-invalid=true] { border-color: #b91c1c; }
.err { color: #b91c1c; font-size: 13px; min-height: 0; }
.stars { display: flex; gap: 6px; }
.stars button { min-width: 40px; min-height: 40px; margin: 0; }
.composer { display: flex; gap: 8px; padding: 10px 12px; border-top: 1px solid #e5e7eb; align-items: flex-end; }
.composer textarea {
  flex: 1 1 auto; resize: none; border: 1px solid #9ca3af; border-radius: 8px; padding: 8px 10px;
  max-height: 120px; min-height: 40px;
}
.send { border: 0; border-radius: 8px; padding: 9px 14px; background: var(--pa-primary); color: var(--pa-on-primary); cursor: pointer; font-weight: 600; min-height: 40px; }
`;
