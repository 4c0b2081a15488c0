"""The assistant: conversations with a language model that uses the product's own use cases."""
