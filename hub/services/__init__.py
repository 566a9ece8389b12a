"""The hub's application services: one module per use case, no sockets and no HTTP.

Synchronous services (sessions, messages, handoffs, tickets, accounts, presence, agent work,
stats) run their work in database transactions and return frozen views; the asynchronous
ones (the bot turn, escalation, the agent desk) orchestrate them and talk to the outside
only through the ports in :mod:`hub.services.ports`. ``wiring.build_services`` builds them.
"""
