"""The email plugin (being written)."""
