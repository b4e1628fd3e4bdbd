"""Model specs become LangChain chat models: OpenAI-compatible, embedded, scripted; rate limits."""
