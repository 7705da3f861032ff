"""Security tests: personal data never escapes in clear."""
