"""sen_core.app: the application built on the framework: the demo (``sen demo``), the research
benchmark (``sen bench research``) and their reports. Only the CLI imports it; nothing in the
framework below does (tests/core/test_import_graph.py).
"""
