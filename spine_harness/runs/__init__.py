"""Runs of the suites and what they leave: a child pytest run, its results per area with their
provenance, the pre-deploy gate built on them, and the masking of every secret in their output."""
