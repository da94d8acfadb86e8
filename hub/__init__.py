"""Continuata Hub: sell digital products through the storefronts shops already have."""

__version__ = "0.1.0"
