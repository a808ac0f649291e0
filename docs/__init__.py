"""The project's documentation; `python -m docs.generate` writes its generated reference sections."""
