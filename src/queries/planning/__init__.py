"""MRP: saved runs with their planned orders, a run planned afresh, and MRP's inputs."""
