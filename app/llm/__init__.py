"""The LLM scorer: prompts, the OpenAI-compatible client, answer checking, merging, caching."""
