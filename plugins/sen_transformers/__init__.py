"""First-party SEN plugin package `sen_transformers`; hooks live in `plugin.py`."""
