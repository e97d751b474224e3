"""The DevRev door: `POST /incidents.*` (create, get, list, group, count, update, delete) in DevRev's shapes."""
