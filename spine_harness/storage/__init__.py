"""Storage authorization: the buckets' written expectations, the harness's own objects, and
each Storage operation run as the SQL the Storage service runs for it."""
