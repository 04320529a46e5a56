"""First-party SEN plugin package `sen_blocks`; hooks live in `plugin.py`."""
