"""Every canary, one module per conformance area. A module registers its canaries on import;
`spine_harness.canary.all_canaries()` imports them all."""
