"""Pure domain values: no I/O, no clock, no processes."""
