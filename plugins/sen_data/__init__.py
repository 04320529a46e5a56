"""First-party SEN plugin package `sen_data`; hooks live in `plugin.py`."""
