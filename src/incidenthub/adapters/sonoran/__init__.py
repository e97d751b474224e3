"""The Sonoran CAD door: v1 (`POST /emergency/...`, `/general/...`) and v2 (`/v2/emergency/servers/{id}/...`).

`mapping` holds the enums, the commands and the response shapes (pure); `schemas_v1` and `schemas_v2`
parse each generation's bodies into those commands; `router_v1` and `router_v2` are the thin HTTP
layers, `errors` their two error formats; `service` and `units` apply the commands through the
incidents and dispatch services; `repository` holds the door's own table (`sonoran_calls`).
"""
