"""The projection engine, apart from the features: the ``Projection`` class and its SQL
helpers (``projection``), the event decoding derived from the ledger's event classes
(``decoding``), reading the log in pages (``pages``), the runner with its tracking rows
(``runner``), the DuckDB database (``view``), the PostgreSQL waker (``waker``) and
rebuild/replay into a new file (``operations``)."""
