"""sen_core.sweep (see the modules in this package)."""
