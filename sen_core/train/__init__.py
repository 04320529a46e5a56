"""sen_core.train (see the modules in this package)."""
