"""Readers of public benchmarks' official file layouts: each turns a downloaded folder into records."""
