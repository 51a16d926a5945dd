"""The harness's configuration: where its files live, the one settings object every entry point
resolves (command line over environment over default), and the option type functions."""
