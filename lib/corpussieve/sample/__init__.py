"""The deterministic sample corpus: realistic web pages with known duplicates, junk and repeated spans."""
