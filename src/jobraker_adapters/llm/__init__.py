"""Language models for the assistant: the local deterministic one and OpenAI-compatible servers."""
