"""Prints how to talk to the running system (called by scripts/run.sh once all services are up)."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from common.identity import mint_customer_token  # noqa: E402


def main() -> None:
    """Print URLs, the demo agent login and a ready-to-paste REST example."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--hub", required=True)
    parser.add_argument("--rasa", required=True)
    parser.add_argument("--agent-file", default=str(ROOT / "var" / "demo-agent.json"))
    args = parser.parse_args()
    secret = os.environ["CUSTOMER_TOKEN_SECRET"]
    token = mint_customer_token("cus_alice", secret)
    lines = [
        "",
        "PayAssist is running.",
        f"  Customer demo page (widget):  {args.hub}/",
        f"  Agent console:                {args.hub}/console",
    ]
    agent_file = Path(args.agent_file)
    if agent_file.exists():
        agent = json.loads(agent_file.read_text(encoding="utf-8"))
        lines.append(
            f"  Demo agent login:             {agent['username']} / {agent['password']}"
            "  (demo mode only; new password each run)"
        )
        if agent.get("supervisor_username"):
            lines.append(
                f"  Demo supervisor login:        {agent['supervisor_username']} / "
                f"{agent['supervisor_password']}"
            )
        if agent.get("spanish_username"):
            lines.append(
                f"  Demo Spanish-speaking agent:  {agent['spanish_username']} / "
                f"{agent['spanish_password']}"
            )
    lines += [
        f"  Health:                       {args.hub}/health",
        "  Metrics (operators only; or open it signed in as the supervisor):",
        f'    (set -a; . var/secrets.env; curl -s -H "Authorization: Bearer $HUB_METRICS_TOKEN" '
        f"{args.hub}/metrics)",
        "",
        "Talk to the bot directly over Rasa's REST channel as demo customer cus_alice:",
        f"  curl -s {args.rasa}/webhooks/rest/webhook -H 'Content-Type: application/json' \\",
        '    -d \'{"sender": "demo-1", "message": "when is my next payment due?", '
        f'"metadata": {{"customer_token": "{token}"}}}}\'',
        "Mint a token for another demo customer (cus_bob, cus_carmen, cus_dan):",
        "  (set -a; . var/secrets.env; .venv/bin/python -m common.mint_token cus_bob)",
        "",
    ]
    sys.stdout.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
