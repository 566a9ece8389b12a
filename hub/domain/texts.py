"""What the hub itself tells customers, in one place.

Handoff notices are stored as system messages, so clients that only show ``bot_uttered``
(Rasa web chat) still see them; newer clients also get ``handoff_status``.
"""

from __future__ import annotations

import re
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
}
# The handoff notices in the customer's language, when we know it (the hub's guard reports the
# language of the phrase book a request matched in); English otherwise.
LOCALISED_STATUS_TEXT: Final[Mapping[str, Mapping[str, str]]] = {
    "es": {
        "queued": "Te estoy pasando con una persona. Eres el número {position} en la cola.",
        "no_agents": (
            "Ahora mismo no hay nadie de nuestro equipo disponible. Déjanos tu email o tu "
            "teléfono y te contactaremos."
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


def status_text(key: str, language: str | None = None) -> str:
    """The notice ``key`` of :data:`STATUS_TEXT`, in ``language`` when we have it."""
    return LOCALISED_STATUS_TEXT.get(language or "en", {}).get(key, STATUS_TEXT[key])


BOT_RETRY_TEXT: Final = "Sorry, I couldn't process that just now. Could you send it again?"
BOT_BUSY_RETRY_TEXT: Final = (
    "Sorry, we're very busy and couldn't get to your message. Could you send it again in a minute?"
)
BOT_FAILURE_TEXT: Final = "I'm having technical trouble, so I'm bringing in a person to help you."
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
# Words common in Spanish and rare in English: two of them make a message Spanish.
_SPANISH_WORDS: Final = frozenset(
    {
        *("mi", "mis", "tu", "el", "la", "los", "las", "del", "que", "qué", "por", "porque"),
        *("para", "con", "una", "es", "está", "esta", "fue", "tengo", "quiero", "hola"),
        *("gracias", "ayuda", "tarjeta", "cuenta", "pago", "cobro", "cobraron", "dinero"),
        *("número", "numero", "código", "codigo", "seguridad", "rechazada", "rechazado"),
    }
)
_WORD: Final = re.compile(r"[^\W\d_]+")


def masked_note(text: str, kinds: Iterable[str]) -> str:
    """The note for a customer whose message had numbers masked, in the message's language.

    Spanish when the (masked) message has at least two common Spanish words, else English;
    the card text when a card number or security code was among what was masked.
    """
    spanish = sum(w in _SPANISH_WORDS for w in set(_WORD.findall(text.lower()))) >= 2
    subject = "other" if CARD_KINDS.isdisjoint(kinds) else "card"
    return MASKED_NOTE_TEXT["es" if spanish else "en", subject]
