"""One module per command of `python -m spine_harness`. Each defines HELP, add_arguments(parser)
and run(args) -> exit code."""
