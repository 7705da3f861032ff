"""Haven's cross-cutting platform package: event store, crypto, messaging, service shell."""
