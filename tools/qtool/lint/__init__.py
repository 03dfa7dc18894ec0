"""Lint: content rules over question files (per file and bank-wide), configured per bank."""
