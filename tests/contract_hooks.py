"""Schemathesis hooks for tests/contract.py (loaded through SCHEMATHESIS_HOOKS).

The fuzzer may revoke any API key but the one it signs in with: `GET /v1/api-keys` lists that key, and the
stateful phase follows the list to `DELETE /v1/api-keys/{key_id}`. Once its own key is revoked every later
request is answered 401 and tests nothing but sign-in, so that one call is sent for an id no key has (404).
"""

from __future__ import annotations

import os
from typing import Any

import schemathesis

OWN_KEY_ID = os.environ.get("INCIDENTHUB_CONTRACT_KEY_ID", "")


@schemathesis.hook
def before_call(ctx: Any, case: Any, **kwargs: Any) -> None:
    if case.method.upper() == "DELETE" and (case.path_parameters or {}).get("key_id") == OWN_KEY_ID:
        case.path_parameters["key_id"] = "key_not_the_fuzzers_own"
