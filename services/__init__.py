"""Haven's services: one package per bounded context (intake, casework, shelter, legal, ...)."""
