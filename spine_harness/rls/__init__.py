"""Row-level security: the written expectations, the seeded rows, the matrix and the lints."""
