"""First-party SEN plugin package `sen_open_clip`; hooks live in `plugin.py`."""
