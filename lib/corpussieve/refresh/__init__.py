"""The lake refresh: one command that brings each batch of raw files into curated Delta tables exactly once
(``corpussieve refresh``), and the audit commands over the lake it builds (``why``, ``forget``)."""
