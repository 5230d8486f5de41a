"""The inspect job: a data card of a table of documents (quantity, quality, coverage, the weakest axis, the
synthetic share), as card.json and a self-contained card.html.

The package is ``corpussieve.inspect``; inside it, ``import inspect`` is still the standard library's (imports
are absolute). Only a folder named ``inspect`` on ``sys.path`` would shadow it: see ``jobs/inspect_job.py``.
"""
