"""The legal service: proceedings, hearings, representation, letters, sharing."""
