"""rolegraph: synthetic training data as multi-role LLM simulations behind a critic gate."""

__version__ = "0.1.0"
