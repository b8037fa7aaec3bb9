from tests.claims.conftest import file_claim, home_product, insured  # noqa: F401 - shared fixtures
