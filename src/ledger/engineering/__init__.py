"""Engineering: work centers, bills of materials, routings and the BOM index."""
