"""The default model shipped with poetry_gen (default.pt) and its model card (README.md)."""
