"""Adapters of generated documents: rendering them as PDF and DOCX files."""
