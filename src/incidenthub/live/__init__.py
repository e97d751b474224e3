"""The live events: `GET /v1/events` to poll, `GET /v1/events/stream` (server-sent events) to follow."""
