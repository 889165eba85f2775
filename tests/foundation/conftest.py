from tests.registry.conftest import two_citizens  # noqa: F401  (the bulk writes are tested through an import)
