"""The breach questionnaire: definition and validation. Knows nothing of HTTP or SQL."""
