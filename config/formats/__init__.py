"""Date formats that differ from Django's, per language (`FORMAT_MODULE_PATH` in settings)."""
