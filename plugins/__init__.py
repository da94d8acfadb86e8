"""The hub's built-in plugins, loaded through the ``continuata_hub`` entry points."""
