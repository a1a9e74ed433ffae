"""Purchase and sales orders: allocations, shipments."""
