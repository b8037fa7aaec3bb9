import pytest
from django.test import Client

from tests.claims.conftest import file_claim, home_product, insured  # noqa: F401 - shared fixtures


@pytest.fixture
def browser(insured):  # noqa: F811 - `insured` is the shared fixture imported above
    """A Django test client signed in as the insured customer (named for the portal's user, not Playwright's)."""
    client = Client()
    client.force_login(insured[0])
    return client
