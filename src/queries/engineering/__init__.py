"""Bills of materials: explosion and where-used."""
