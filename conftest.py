"""At the root so that it applies to every test path, `pytest services/intake` alone too."""

pytest_plugins = ["shared.testing.plugin"]
