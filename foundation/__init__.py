"""The ground floor: helpers every app uses (environment, roles and permissions,
downloads, the guarded HTTP client, time zones). Nothing here imports an app."""
