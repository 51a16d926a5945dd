"""The nightly report: one HTML page (and a Markdown summary for CI logs) from the latest
benchmark run, the saved runs before it, the last capacity run and the conformance results."""
