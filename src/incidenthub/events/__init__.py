"""Events out: the outbox every change writes to, in the transaction that made the change."""
