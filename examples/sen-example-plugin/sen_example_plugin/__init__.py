"""sen-example-plugin: the reference third-party plugin for SEN (see docs/plugins.md)."""
