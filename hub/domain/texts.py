"""What the hub itself tells customers, in one place.

Handoff notices are stored as system messages, so clients that only show ``bot_uttered``
(Rasa web chat) still see them; newer clients also get ``handoff_status``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

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
    "ticket_created": "Thanks, we've got your details and will contact you.",
    "closed": "This conversation is closed. How did we do? Rate us from 1 to 5.",
}
BOT_RETRY_TEXT: Final = "Sorry, I couldn't process that just now. Could you send it again?"
BOT_FAILURE_TEXT: Final = "I'm having technical trouble, so I'm bringing in a person to help you."
HANDBACK_FAILED_SUMMARY: Final = "The bot could not resume after a hand-back."
