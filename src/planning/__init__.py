"""MIMS planning: MRP, MRP II (capacity), lot sizing, inventory policies, classification,
KPIs and forecasting, as pure functions over polars frames (no I/O, one concern per
module). ``planning.kinds`` maps each ``mims plan KIND`` to its JSON models and function;
docs/planning/README.md states the conventions and the input frames."""
