"""Command line: mint a customer token the way a host site would (demo and manual testing).

``python -m common.mint_token cus_bob [--ttl-minutes 60]`` prints a token signed with
``CUSTOMER_TOKEN_SECRET`` from the environment (``make run`` keeps it in ``var/secrets.env``).
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import timedelta

from common.identity import mint_customer_token


def main(argv: list[str] | None = None) -> int:
    """Print a signed token for the given customer ref; exit 2 when no secret is configured."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("customer_ref")
    parser.add_argument("--ttl-minutes", type=int, default=60)
    args = parser.parse_args(argv)
    secret = os.environ.get("CUSTOMER_TOKEN_SECRET", "")
    if not secret:
        sys.stderr.write("error: CUSTOMER_TOKEN_SECRET is not set (see var/secrets.env)\n")
        return 2
    token = mint_customer_token(args.customer_ref, secret, ttl=timedelta(minutes=args.ttl_minutes))
    sys.stdout.write(token + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
