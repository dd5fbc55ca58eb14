"""Battery OS: live battery diagnostics for the test bench."""

__version__ = "0.1.0"
