"""The centre's published reports (issue 16): figures from events as of an instant, PDFs."""
