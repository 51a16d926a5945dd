"""Talking to the target's Postgres: connections (pooler-safe), the project's SQL files, and
acting as an API role the way PostgREST does."""
