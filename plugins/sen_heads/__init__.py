"""First-party SEN plugin package `sen_heads`; hooks live in `plugin.py`."""
