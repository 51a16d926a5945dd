"""The stack definition in stack/, read into small models.

The static suite, the operator scripts (through `python -m spine_harness ...`) and the compose
target all read the stack through these modules, so a rule is written once.
"""
