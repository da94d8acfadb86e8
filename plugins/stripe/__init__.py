"""The stripe plugin (being written)."""
