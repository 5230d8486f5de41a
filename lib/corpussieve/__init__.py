"""corpussieve: Spark jobs that turn raw web text into LLM training data over Delta tables."""

__version__ = "0.1.0"
