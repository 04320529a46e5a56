"""First-party SEN plugin package `sen_timm`; hooks live in `plugin.py`."""
