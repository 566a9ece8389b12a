"""What the hub itself tells customers, in one place, in the conversation's language.

Handoff notices are stored as system messages, so clients that only show ``bot_uttered``
(Rasa web chat) still see them; newer clients also get ``handoff_status``. Every text is
written by hand in each language we serve (English and Spanish, issue 19; the queue notices in
a few more, for explicit requests the hub's guard recognises in them); nothing is translated
at run time. A key we have no text for in a language is said in English.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Final

from common.sensitive import CARD_KINDS

STATUS_TEXT: Final[Mapping[str, str]] = {
    "queued": "I'm connecting you with a person. You're number {position} in line.",
    "requeued": "Your agent was disconnected, so you're first in line for the next person.",
    "transferred": "I'm transferring you to our {queue} team.",
    "no_agents": (
        "No one from our team is available right now. Leave your email or phone number "
        "and we'll get back to you."
    ),
    "agent_joined": "{name} has joined the conversation.",
    "agent_left": "{name} has left the conversation.",
    "bot_resumed": "You're back with the assistant. How can I help?",
    "bot_busy": (
        "One moment, please: a lot of customers are writing to us right now. Your message is "
        "in line and the assistant will answer it shortly."
    ),
    "ticket_created": "Thanks, we've got your details and will contact you.",
    "closed": "This conversation is closed. How did we do? Rate us from 1 to 5.",
    # System messages after a failed bot turn (not handoff states).
    "bot_retry": "Sorry, I couldn't process that just now. Could you send it again?",
    "bot_busy_retry": (
        "Sorry, we're very busy and couldn't get to your message. Could you send it again in a "
        "minute?"
    ),
    "bot_failure": "I'm having technical trouble, so I'm bringing in a person to help you.",
}
# The notices in the conversation's language (Spanish: every one, tuteo as the bot speaks);
# the queue notices also in the languages of the hub guard's phrase books; English otherwise.
LOCALISED_STATUS_TEXT: Final[Mapping[str, Mapping[str, str]]] = {
    "es": {
        "queued": "Te estoy pasando con una persona. Eres el número {position} en la cola.",
        "requeued": (
            "Tu agente se ha desconectado, así que eres el primero en la cola para la siguiente "
            "persona."
        ),
        "transferred": "Te estoy pasando a nuestro equipo de {queue}.",
        "no_agents": (
            "Ahora mismo no hay nadie de nuestro equipo disponible. Déjanos tu email o tu "
            "teléfono y te contactaremos."
        ),
        "agent_joined": "{name} se ha unido a la conversación.",
        "agent_left": "{name} ha salido de la conversación.",
        "bot_resumed": "Vuelves a estar con el asistente. ¿En qué te puedo ayudar?",
        "bot_busy": (
            "Un momento, por favor: ahora mismo nos escriben muchos clientes. Tu mensaje está en "
            "la cola y el asistente te responderá enseguida."
        ),
        "ticket_created": "Gracias, tenemos tus datos y nos pondremos en contacto contigo.",
        "closed": "Esta conversación está cerrada. ¿Qué tal lo hicimos? Puntúanos del 1 al 5.",
        "bot_retry": "Perdona, no he podido procesar eso ahora. ¿Puedes enviarlo otra vez?",
        "bot_busy_retry": (
            "Perdona, estamos muy ocupados y no hemos podido atender tu mensaje. ¿Puedes "
            "enviarlo otra vez dentro de un minuto?"
        ),
        "bot_failure": (
            "Estoy teniendo problemas técnicos, así que te paso con una persona para que te ayude."
        ),
    },
    "de": {
        "queued": (
            "Ich verbinde Sie mit einem Menschen. Sie sind Nummer {position} in der Warteschlange."
        ),
        "no_agents": (
            "Gerade ist niemand aus unserem Team erreichbar. Hinterlassen Sie Ihre E-Mail oder "
            "Telefonnummer, und wir melden uns bei Ihnen."
        ),
    },
    "fr": {
        "queued": (
            "Je vous mets en relation avec une personne. Vous êtes numéro {position} dans la file."
        ),
        "no_agents": (
            "Personne de notre équipe n'est disponible pour le moment. Laissez votre e-mail ou "
            "votre numéro de téléphone et nous vous recontacterons."
        ),
    },
    "pt": {
        "queued": "Estou a passá-lo para uma pessoa. Você é o número {position} na fila.",
        "no_agents": (
            "Ninguém da nossa equipa está disponível agora. Deixe o seu e-mail ou telefone e "
            "entraremos em contacto."
        ),
    },
    "it": {
        "queued": "La sto mettendo in contatto con una persona. È il numero {position} in coda.",
        "no_agents": (
            "Al momento nessuno del nostro team è disponibile. Lasci la sua email o il suo "
            "numero di telefono e la ricontatteremo."
        ),
    },
    "nl": {
        "queued": "Ik verbind u door met een medewerker. U bent nummer {position} in de wachtrij.",
        "no_agents": (
            "Er is nu niemand van ons team beschikbaar. Laat uw e-mailadres of telefoonnummer "
            "achter, dan nemen wij contact met u op."
        ),
    },
}


# Queue names as customers read them in a transfer notice (English: the queue's own name).
QUEUE_NAMES: Final[Mapping[str, Mapping[str, str]]] = {
    "es": {"payments": "pagos", "disputes": "reclamaciones", "collections": "cobros"},
}


def queue_name(queue: str, language: str | None) -> str:
    """A queue's name in ``language`` when we have one, else the queue's own name."""
    return QUEUE_NAMES.get(language or "en", {}).get(queue, queue)


def status_text(key: str, language: str | None = None) -> str:
    """The notice ``key`` of :data:`STATUS_TEXT`, in ``language`` when we have it."""
    return LOCALISED_STATUS_TEXT.get(language or "en", {}).get(key, STATUS_TEXT[key])


BOT_RETRY_TEXT: Final = STATUS_TEXT["bot_retry"]
BOT_BUSY_RETRY_TEXT: Final = STATUS_TEXT["bot_busy_retry"]
BOT_FAILURE_TEXT: Final = STATUS_TEXT["bot_failure"]
HANDBACK_FAILED_SUMMARY: Final = "The bot could not resume after a hand-back."

# Once per conversation, after the hub masked a card number or other sensitive number in what
# the customer typed (``common.sensitive``): one text for card details, one for the rest.
MASKED_NOTE_TEXT: Final[Mapping[tuple[str, str], str]] = {
    ("en", "card"): (
        "For your safety I've hidden the card details you typed. We never need your full "
        "card number or security code in chat."
    ),
    ("en", "other"): (
        "For your safety I've hidden the account or ID numbers you typed. We never need your "
        "full bank details or ID numbers in chat."
    ),
    ("es", "card"): (
        "Por tu seguridad he ocultado los datos de la tarjeta que escribiste. Nunca necesitamos "
        "el número completo de tu tarjeta ni el código de seguridad en el chat."
    ),
    ("es", "other"): (
        "Por tu seguridad he ocultado los números de cuenta o de identidad que escribiste. "
        "Nunca necesitamos tus datos bancarios completos ni tu documento en el chat."
    ),
}


def masked_note(kinds: Iterable[str], language: str | None) -> str:
    """The note for a customer whose message had numbers masked, in the conversation's language.

    The card text when a card number or security code was among what was masked.
    """
    subject = "other" if CARD_KINDS.isdisjoint(kinds) else "card"
    return MASKED_NOTE_TEXT.get((language or "en", subject), MASKED_NOTE_TEXT["en", subject])
