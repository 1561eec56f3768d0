"""Designs as the reviewer reads them: their format, and their lines, sections and windows."""
