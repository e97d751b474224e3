"""GovWorx (CommsCoach) CAD incident upload: `PUT /api/v1/external/incident` and its read endpoints."""

SOURCE = "govworx"
