"""sen_core.network (see the modules in this package)."""
