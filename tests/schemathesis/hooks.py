"""Schemathesis hooks for the Comeback API run (loaded through SCHEMATHESIS_HOOKS by run.sh).

The run authenticates as one admin with one API token. A few operations, called on that
admin or that token, would lock the run out for every later request (401 or "password
change required" 403) and turn the rest of the run into a test of the lock-out:

- DELETE /api/v1/tokens/{id} on the run's own token (revoked),
- POST /api/v1/users/{id}/password-reset on the run's own admin (temporary password),
- PATCH /api/v1/users/{id} on the run's own admin (role or locations changed).

Before each call such a case is redirected to the spare user or token that bootstrap.py
made for the purpose, so the operation is still exercised, with its success response,
on a real resource.

NUL characters: SQLite stores U+0000 in text, PostgreSQL refuses it ("invalid byte
sequence for encoding UTF8: 0x00"), so an unchecked NUL is a 500 on one backend only.
Hypothesis rarely draws U+0000 on its own, so every fourth call gets one inserted into
the first string of its path parameters, query or JSON body (the case is revalidated by
schemathesis, so a value that stops matching the document counts as negative data).
"""

from __future__ import annotations

import atexit
import collections
import itertools
import os
import sys

import schemathesis

_ADMIN_ID = os.environ["COMEBACK_ST_ADMIN_ID"]
_TOKEN_ID = os.environ["COMEBACK_ST_TOKEN_ID"]
_SPARE_USER_ID = os.environ["COMEBACK_ST_SPARE_USER_ID"]
_SPARE_TOKEN_ID = os.environ["COMEBACK_ST_SPARE_TOKEN_ID"]

_REDIRECTED: collections.Counter = collections.Counter()

# (method, path template) -> (protected id, spare id)
_PROTECTED = {
    ("DELETE", "/api/v1/tokens/{id}"): (_TOKEN_ID, _SPARE_TOKEN_ID),
    ("POST", "/api/v1/users/{id}/password-reset"): (_ADMIN_ID, _SPARE_USER_ID),
    ("PATCH", "/api/v1/users/{id}"): (_ADMIN_ID, _SPARE_USER_ID),
}


_NUL_EVERY = 4
_CALLS = itertools.count()


def _with_nul(value):
    """`value` with U+0000 in its first non-empty string, or None when it has none."""
    if isinstance(value, str) and value:
        mid = len(value) // 2
        return value[:mid] + "\x00" + value[mid:]
    if isinstance(value, dict):
        for k, v in value.items():
            new = _with_nul(v)
            if new is not None:
                return {**value, k: new}
    if isinstance(value, list):
        for i, v in enumerate(value):
            new = _with_nul(v)
            if new is not None:
                return value[:i] + [new] + value[i + 1 :]
    return None


def _inject_nul(case):
    if next(_CALLS) % _NUL_EVERY:
        return
    for attr in ("path_parameters", "query", "body"):
        new = _with_nul(getattr(case, attr, None))
        if new is not None:
            setattr(case, attr, new)
            _REDIRECTED[("NUL", attr)] += 1
            return


@schemathesis.hook
def before_call(context, case, **kwargs):
    """Inserts a NUL now and then; redirects a case aimed at the run's own credentials to
    the spare resource."""
    _inject_nul(case)
    rule = _PROTECTED.get((case.method.upper(), case.path))
    if rule is None or not case.path_parameters:
        return
    protected, spare = rule
    for name, value in list(case.path_parameters.items()):
        if str(value).lstrip("+").lstrip("0") == protected.lstrip("0"):
            case.path_parameters[name] = int(spare)
            _REDIRECTED[(case.method.upper(), case.path)] += 1


@schemathesis.hook
def after_load_schema(context, schema):
    """Checks that every protected operation exists, so a renamed route cannot slip by."""
    paths = schema.raw_schema.get("paths", {})
    for method, path in _PROTECTED:
        if method.lower() not in paths.get(path, {}):
            raise RuntimeError(f"hooks.py protects {method} {path}, which the document lacks")


atexit.register(
    lambda: _REDIRECTED
    and print(
        "hooks: NUL inserted or case redirected to the spare resource: "
        + ", ".join(f"{m} {p} x{n}" for (m, p), n in sorted(_REDIRECTED.items())),
        file=sys.stderr,
    )
)
