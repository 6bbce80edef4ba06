"""Number and date formats where the desk differs from Django's locale defaults
(FORMAT_MODULE_PATH); anything not set here comes from Django."""
