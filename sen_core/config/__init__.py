"""sen_core.config (see the modules in this package)."""
