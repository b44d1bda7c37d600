"""The pure dialog engine: screens in, decisions out. No I/O, no clock, no processes."""
