"""A local-stage token for any company, user and role, to call the API of `make run`.

    .venv/bin/python tools/make_token.py --company my-school --sub ada [--role admin] [--days 7]

The local stage accepts HS256 tokens signed with `OPTCLASS_DEV_JWT_SECRET` (`make run` uses
the same default as here when it is unset). Claims: `sub` (who the caller is: a staff
member's or student's `user_id`), `company_id` (which school), optionally `role` (only ever
narrows what the caller's record allows), `iat` and `exp`. What the caller may do comes
from the company's records: the first caller to `PUT /company` for a new company becomes
its admin; anyone else needs a staff or student record whose `user_id` is their `sub`.
Deployed stages take Cognito tokens instead (`custom:company_id`), never these.
"""

import argparse
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from chalicelib.api.auth import local_token  # noqa: E402
from chalicelib.domain.access import ROLES  # noqa: E402
from tools.run_local import DEFAULT_DEV_SECRET  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--company", required=True, help="the company id (the school)")
    parser.add_argument("--sub", required=True, help="the caller's user id (a staff or student record's user_id)")
    parser.add_argument("--role", choices=sorted(ROLES), help="a narrower role to act in (optional)")
    parser.add_argument("--days", type=float, default=7, help="how long the token is valid (default 7)")
    args = parser.parse_args(argv)
    secret = os.environ.get("OPTCLASS_DEV_JWT_SECRET") or DEFAULT_DEV_SECRET
    print(local_token(args.company, args.sub, args.role, secret=secret, expires_in=int(args.days * 86400)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
