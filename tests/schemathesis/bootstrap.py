"""Prepares a fresh `comeback serve` for the schemathesis run (standard library only).

Usage: python3 bootstrap.py BASE_URL SETUP_TOKEN DATA_FILE ENV_OUT

1. Creates the first admin through the one-time set-up link (`POST /setup`, JSON).
2. Logs in (`POST /login`, JSON) and, with the session cookie and its CSRF token, creates
   the API token the run authenticates with (`POST /api/v1/tokens`).
3. Makes the resources the fuzzer's ids can land on: a spare user and a spare token (see
   hooks.py), a manager and a staff member.
4. Seeds data through the API: the transactions of DATA_FILE (CDNOW format: customer id,
   YYYYMMDD, quantity, dollar amount) in one batch, and names and e-mails for 20 of
   their customers; then refits the scores (`POST /api/v1/model/refit`) and waits until
   they are computed (`GET /api/v1/model`).
5. Writes shell `export` lines (token and ids) to ENV_OUT for run.sh.

Every step checks the status code it expects and exits non-zero with the response body
otherwise, so a broken bootstrap fails the CI step instead of fuzzing a locked-out API.
"""

from __future__ import annotations

import json
import secrets
import sys
import time
import urllib.error
import urllib.request

SESSION_COOKIE = "comeback_session"


class Client:
    """A tiny JSON client over urllib that keeps the session cookie by hand."""

    def __init__(self, base: str) -> None:
        self.base = base.rstrip("/")
        self.cookie: str | None = None
        self.headers: dict[str, str] = {}

    def call(self, method: str, path: str, body: object | None, expect: int) -> tuple[object, dict]:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base + path, data=data, method=method)
        req.add_header("Accept", "application/json")
        if data is not None:
            req.add_header("Content-Type", "application/json")
        for k, v in self.headers.items():
            req.add_header(k, v)
        if self.cookie:
            req.add_header("Cookie", f"{SESSION_COOKIE}={self.cookie}")
        try:
            with urllib.request.urlopen(req, timeout=120) as resp:
                status, raw, headers = resp.status, resp.read(), resp.headers
        except urllib.error.HTTPError as e:
            status, raw, headers = e.code, e.read(), e.headers
        if status != expect:
            sys.exit(
                f"bootstrap: {method} {path}: expected {expect}, got {status}: "
                f"{raw[:2000].decode(errors='replace')}"
            )
        for set_cookie in headers.get_all("Set-Cookie") or []:
            name, _, rest = set_cookie.partition("=")
            if name.strip() == SESSION_COOKIE:
                self.cookie = rest.split(";", 1)[0]
        return (json.loads(raw) if raw else None), dict(headers)


def cdnow_batch(path: str) -> list[dict]:
    """The CDNOW rows as API transactions (one per line; external id = line number)."""
    rows = []
    with open(path, encoding="ascii") as f:
        for n, line in enumerate(f, start=1):
            customer, _, ymd, _qty, dollars = line.split()
            rows.append(
                {
                    "external_id": f"cdnow-{n}",
                    "customer": customer,
                    "date": f"{ymd[:4]}-{ymd[4:6]}-{ymd[6:]}",
                    "amount": dollars,
                    "currency": "USD",
                }
            )
    return rows


def main() -> None:
    base, setup_token, data_file, env_out = sys.argv[1:5]
    email = "admin@example.com"
    password = secrets.token_urlsafe(24)
    c = Client(base)

    c.call("POST", "/setup", {"token": setup_token, "email": email, "password": password}, 201)
    login, _ = c.call("POST", "/login", {"email": email, "password": password}, 200)
    if not c.cookie:
        sys.exit("bootstrap: POST /login set no session cookie")
    c.headers["X-CSRF-Token"] = login["csrf_token"]
    token, _ = c.call("POST", "/api/v1/tokens", {"name": "schemathesis"}, 201)
    spare_token, _ = c.call("POST", "/api/v1/tokens", {"name": "spare"}, 201)

    # From here on, the API token only (no cookie, no CSRF header).
    api = Client(base)
    api.headers["Authorization"] = f"Bearer {token['token']}"
    me, _ = api.call("GET", "/api/v1/me", None, 200)
    spare_user, _ = api.call(
        "POST", "/api/v1/users", {"email": "spare@example.com", "role": "admin"}, 201
    )
    api.call("POST", "/api/v1/users", {"email": "manager@example.com", "role": "manager"}, 201)
    api.call("POST", "/api/v1/users", {"email": "staff@example.com", "role": "staff"}, 201)

    batch = cdnow_batch(data_file)
    api.call("POST", "/api/v1/transactions:batch", {"transactions": batch}, 200)
    customers = [
        {"external_id": c, "name": f"Customer {c}", "email": f"c{c}@example.com", "language": "en"}
        for c in sorted({t["customer"] for t in batch})[:20]
    ]
    api.call("POST", "/api/v1/customers:batch", {"customers": customers}, 200)

    # Fuzz the scores too, not only "scores not computed yet" (503): refit and wait.
    api.call("POST", "/api/v1/model/refit", None, 202)
    deadline = time.monotonic() + 120
    while True:
        status, _ = api.call("GET", "/api/v1/model", None, 200)
        if status["refit"] == "failed":
            sys.exit(f"bootstrap: the refit failed: {status['error']}")
        if status["refit"] == "succeeded" and not status["stale"]:
            break
        if time.monotonic() > deadline:
            sys.exit(f"bootstrap: no scores after 120 s: {status}")
        time.sleep(0.5)

    with open(env_out, "w", encoding="ascii") as f:
        f.write(f"export COMEBACK_ST_TOKEN='{token['token']}'\n")
        f.write(f"export COMEBACK_ST_TOKEN_ID='{token['id']}'\n")
        f.write(f"export COMEBACK_ST_ADMIN_ID='{me['id']}'\n")
        f.write(f"export COMEBACK_ST_SPARE_USER_ID='{spare_user['user']['id']}'\n")
        f.write(f"export COMEBACK_ST_SPARE_TOKEN_ID='{spare_token['id']}'\n")
    print(
        f"bootstrap: admin {me['id']}, token {token['id']}, "
        f"{len(batch)} transactions posted",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
