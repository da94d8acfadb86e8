"""The paypal plugin (being written)."""
