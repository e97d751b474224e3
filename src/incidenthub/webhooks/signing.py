"""Standard Webhooks signatures: `whsec_` secrets and the three headers every attempt carries."""

from __future__ import annotations

import base64
import secrets
from collections.abc import Sequence
from datetime import datetime

from standardwebhooks.webhooks import Webhook

PREFIX = "whsec_"


def new_secret() -> str:
    """A fresh signing secret: `whsec_` and 32 random bytes in base64 (what Standard Webhooks libraries read)."""
    return PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def headers(message_id: str, at: datetime, body: str, signing_secrets: Sequence[str]) -> dict[str, str]:
    """`webhook-id`, `webhook-timestamp` and `webhook-signature` (one `v1,` signature per secret, space-separated:
    during a rotation's overlap a receiver holding either the old or the new secret verifies it)."""
    signatures = [Webhook(secret).sign(message_id, at, body) for secret in signing_secrets]
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": " ".join(signatures),
    }
