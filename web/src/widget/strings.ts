/**
 * User-facing widget strings (English and Spanish), written by hand. The widget starts in the
 * host's configured `language` or the page's `<html lang>`, then follows the conversation's
 * language as the hub reports it (issue 19).
 */

export interface Strings {
  title: string;
  open: string;
  close: string;
  talkToPerson: string;
  messageLabel: string;
  placeholder: string;
  send: string;
  you: string;
  assistant: string;
  agent: string;
  system: string;
  conversation: string;
  botTyping: string;
  agentTyping: (name: string) => string;
  connecting: string;
  reconnecting: string;
  connected: string;
  queued: (position: number | null, wait: string | null) => string;
  waitUnknown: string;
  cancelWaiting: string;
  agentJoined: (name: string) => string;
  agentLeft: string;
  botResumed: string;
  noAgents: string;
  outOfHours: string;
  contactIntro: string;
  email: string;
  phone: string;
  note: string;
  submitContact: string;
  needOne: string;
  invalidEmail: string;
  invalidPhone: string;
  ticketCreated: string;
  closed: string;
  rateQuestion: string;
  rateLabel: (n: number) => string;
  rateThanks: string;
  notSent: string;
  sessionEnded: string;
  signInAgain: string;
  rateLimited: string;
  tooLarge: string;
  busy: string;
  identityMismatch: string;
  rejected: string;
  newMessages: string;
  unread: (n: number) => string;
  link: string;
}

const en: Strings = {
  title: "Payments help",
  open: "Open chat",
  close: "Close chat",
  talkToPerson: "Talk to a person",
  messageLabel: "Your message",
  placeholder: "Type your message…",
  send: "Send",
  you: "You",
  assistant: "Assistant",
  agent: "Agent",
  system: "Update",
  conversation: "Conversation",
  botTyping: "The assistant is typing…",
  agentTyping: (name) => `${name} is typing…`,
  connecting: "Connecting…",
  reconnecting: "Reconnecting…",
  connected: "Online",
  queued: (position, wait) =>
    `You're in the queue${position !== null ? ` (position ${position})` : ""}. Estimated wait: ${wait ?? "unknown"}.`,
  waitUnknown: "unknown",
  cancelWaiting: "Cancel waiting",
  agentJoined: (name) => `You're now chatting with ${name}.`,
  agentLeft: "The agent has left the conversation.",
  botResumed: "You're back with the assistant.",
  noAgents: "No one is available right now.",
  outOfHours: "Our team is outside working hours right now.",
  contactIntro: "Leave an email or phone number and we'll get back to you.",
  email: "Email",
  phone: "Phone",
  note: "What is it about? (optional)",
  submitContact: "Send my details",
  needOne: "Please give an email address or a phone number.",
  invalidEmail: "That email address doesn't look right.",
  invalidPhone: "That phone number doesn't look right (7 to 15 digits).",
  ticketCreated: "Thanks, we've got your details and will contact you.",
  closed: "The conversation has ended.",
  rateQuestion: "How did we do?",
  rateLabel: (n) => `Rate ${n} out of 5`,
  rateThanks: "Thanks for your feedback!",
  notSent: "Not sent yet, retrying…",
  sessionEnded:
    "This chat is now linked to a signed-in account elsewhere, so it continues there. " +
    "We've started a new chat here; sign in to see the earlier one.",
  signInAgain: "Your earlier chat belongs to your account: sign in again to see it. You can start a new chat here.",
  rateLimited: "Too many new chats from here. Please wait a minute and try again.",
  tooLarge: "That message is too long to send. Please shorten it.",
  busy: "We're very busy right now and couldn't take your message. Please send it again in a moment.",
  identityMismatch: "This chat belongs to a different customer. Start a new chat to continue.",
  rejected: "This message couldn't be sent.",
  newMessages: "New messages",
  unread: (n) => `${n} unread message${n === 1 ? "" : "s"}`,
  link: "link",
};

const es: Strings = {
  title: "Ayuda con pagos",
  open: "Abrir chat",
  close: "Cerrar chat",
  talkToPerson: "Hablar con una persona",
  messageLabel: "Tu mensaje",
  placeholder: "Escribe tu mensaje…",
  send: "Enviar",
  you: "Tú",
  assistant: "Asistente",
  agent: "Agente",
  system: "Aviso",
  conversation: "Conversación",
  botTyping: "El asistente está escribiendo…",
  agentTyping: (name) => `${name} está escribiendo…`,
  connecting: "Conectando…",
  reconnecting: "Reconectando…",
  connected: "En línea",
  queued: (position, wait) =>
    `Estás en la cola${position !== null ? ` (posición ${position})` : ""}. Espera estimada: ${wait ?? "desconocida"}.`,
  waitUnknown: "desconocida",
  cancelWaiting: "Dejar de esperar",
  agentJoined: (name) => `Ahora hablas con ${name}.`,
  agentLeft: "El agente ha salido de la conversación.",
  botResumed: "Vuelves a hablar con el asistente.",
  noAgents: "Ahora mismo no hay nadie disponible.",
  outOfHours: "Nuestro equipo está fuera de horario.",
  contactIntro: "Déjanos un correo o un teléfono y te contactaremos.",
  email: "Correo electrónico",
  phone: "Teléfono",
  note: "¿De qué se trata? (opcional)",
  submitContact: "Enviar mis datos",
  needOne: "Indica un correo electrónico o un teléfono.",
  invalidEmail: "El correo electrónico no parece válido.",
  invalidPhone: "El teléfono no parece válido (de 7 a 15 dígitos).",
  ticketCreated: "Gracias, tenemos tus datos y te contactaremos.",
  closed: "La conversación ha terminado.",
  rateQuestion: "¿Qué tal te hemos atendido?",
  rateLabel: (n) => `Valorar con ${n} de 5`,
  rateThanks: "¡Gracias por tu opinión!",
  notSent: "Aún no enviado, reintentando…",
  sessionEnded:
    "Este chat ahora está vinculado a una cuenta con sesión iniciada en otro lugar y continúa allí. " +
    "Hemos empezado un chat nuevo aquí; inicia sesión para ver el anterior.",
  signInAgain: "Tu chat anterior pertenece a tu cuenta: inicia sesión de nuevo para verlo. Puedes empezar un chat nuevo aquí.",
  rateLimited: "Demasiados chats nuevos desde aquí. Espera un minuto e inténtalo de nuevo.",
  tooLarge: "Ese mensaje es demasiado largo para enviarlo. Acórtalo, por favor.",
  busy: "Ahora mismo estamos muy ocupados y no hemos podido recibir tu mensaje. Envíalo otra vez dentro de un momento.",
  identityMismatch: "Este chat pertenece a otro cliente. Empieza un chat nuevo para continuar.",
  rejected: "No se ha podido enviar este mensaje.",
  newMessages: "Mensajes nuevos",
  unread: (n) => `${n} mensaje${n === 1 ? "" : "s"} sin leer`,
  link: "enlace",
};

/** The language we have strings for: "es" for any Spanish tag ("es-MX", "es_ES"), else "en". */
export function widgetLanguage(language: string | null | undefined): "en" | "es" {
  const primary = (language ?? "en").toLowerCase().split(/[-_]/)[0];
  return primary === "es" ? "es" : "en";
}

/** Strings for a BCP 47 tag ("es-MX" -> Spanish); English otherwise. */
export function stringsFor(language: string | null | undefined): Strings {
  return widgetLanguage(language) === "es" ? es : en;
}

/** The page's language for the hub: the host's configured one, else `<html lang>`; null if none. */
export function pageLanguage(configured: string | undefined, documentLang: string): string | null {
  const tag = (configured ?? documentLang).trim();
  return /^[A-Za-z]{2,3}([-_][A-Za-z0-9]{1,8}){0,4}$/.test(tag) ? tag : null;
}
