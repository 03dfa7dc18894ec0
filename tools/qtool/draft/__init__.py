"""LLM drafting: settings, prompts, the OpenAI-compatible client, reply validation, cache and merging.

Nothing here imports ``openai`` at module level: ``qtool --help`` and ``qtool check`` stay light.
"""
