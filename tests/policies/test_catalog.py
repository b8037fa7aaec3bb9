"""Product search, the data-driven quote engine and VIN checks."""

from datetime import date
from decimal import Decimal

import pytest

from apps.policies.vin import VinError, decode_vin
from tests.factories.policies import CoverageFactory, ProductFactory, ProductLineFactory, RatingRuleFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def motor():
    product = ProductFactory(
        code="motor",
        name="Motor Cover",
        line=ProductLineFactory(code="auto"),
        base_premium=Decimal("400.00"),
        min_age=18,
        max_age=80,
        regions=["PT-11", "PT-13"],
        description="Car insurance with glass cover",
    )
    CoverageFactory(product=product, code="liability", is_mandatory=True)
    CoverageFactory(product=product, code="glass", is_mandatory=False, annual_premium=Decimal("35.50"))
    for i, (lo, hi, mult, label) in enumerate([(None, "25", "1.50", "Young driver"), ("25", None, "1.00", "Adult")]):
        RatingRuleFactory(
            product=product, factor="age", min_value=lo, max_value=hi, multiplier=Decimal(mult), label=label, position=i
        )
    RatingRuleFactory(product=product, factor="region", match="PT-11", multiplier=Decimal("1.1000"), label="Lisbon")
    RatingRuleFactory(
        product=product, factor="region", match="PT-13", multiplier=Decimal("0.9500"), label="Porto", position=1
    )
    return product


def test_quote_breakdown_adds_up_exactly(api_client, motor):
    response = api_client.post(
        "/api/v1/quotes", {"product": "motor", "age": 22, "region": "PT-11", "coverages": ["glass"]}, format="json"
    )

    assert response.status_code == 201, response.content
    data = response.json()["data"]
    amounts = [Decimal(line["amount"]) for line in data["lines"]]
    # 400 × 1.5 = 600 (+200); × 1.1 = 660 (+60); + glass 35.50
    assert amounts == [Decimal("400.00"), Decimal("200.00"), Decimal("60.00"), Decimal("35.50")]
    assert Decimal(data["annual_premium"]) == sum(amounts) == Decimal("695.50")


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"product": "motor", "region": "PT-11"}, "age"),
        ({"product": "motor", "age": 30}, "region"),
        ({"product": "motor", "age": 30, "region": "PT-01"}, "eligibility"),
        ({"product": "motor", "age": 90, "region": "PT-11"}, "eligibility"),
        ({"product": "motor", "age": 30, "region": "PT-11", "coverages": ["spaceflight"]}, "coverages"),
        ({"product": "motor", "age": -1, "region": "PT-11"}, "age"),
    ],
)
def test_quote_bad_inputs_are_explained(api_client, motor, payload, field):
    response = api_client.post("/api/v1/quotes", payload, format="json")

    assert response.status_code == 400
    assert field in response.json()["error"]["details"]


def test_quote_for_unknown_product_is_404(api_client):
    assert api_client.post("/api/v1/quotes", {"product": "nope", "age": 30}, format="json").status_code == 404


def test_product_search_filters_and_sorts(api_client, motor):
    home = ProductFactory(
        code="home", name="Home Cover", line=ProductLineFactory(code="home"), base_premium=Decimal("150.00")
    )
    ProductFactory(code="old", name="Retired", is_active=False)

    def codes(**params):
        return [p["code"] for p in api_client.get("/api/v1/products", params).json()["data"]["products"]]

    assert codes(sort_by="premium") == ["home", "motor"]
    assert codes(line="auto") == ["motor"]
    assert codes(premium_max="200") == ["home"]
    assert codes(coverage="glass") == ["motor"]
    assert codes(age=17, sort_by="name") == ["home"]
    assert codes(region="pt-13", sort_by="name") == ["home", "motor"]
    assert codes(region="PT-01") == ["home"]
    assert codes(search="glass") == ["motor"]
    assert api_client.get(f"/api/v1/products/{home.code}").json()["data"]["name"] == "Home Cover"
    assert api_client.get("/api/v1/products/old").status_code == 404
    assert api_client.get("/api/v1/products", {"premium_min": "cheap"}).status_code == 400


@pytest.mark.parametrize(
    ("vin", "manufacturer", "year", "verified"),
    [
        ("1HGCM82633A004352", "Honda (USA)", 2003, True),
        ("WVWZZZ1KZMW612305", "Volkswagen", 2021, False),
        (" wvw zzz1kz-mw612305 ", "Volkswagen", 2021, False),
    ],
)
def test_vin_decoding(vin, manufacturer, year, verified):
    info = decode_vin(vin, today=date(2026, 11, 23))
    assert (info.manufacturer, info.model_year, info.check_digit_verified) == (manufacturer, year, verified)


@pytest.mark.parametrize(
    ("vin", "reason"),
    [
        ("1HGCM82633A004353", "check digit"),
        ("1HGCM82633A00435", "17 characters"),
        ("1HGCM82633A0O4352", "never contains O"),
    ],
)
def test_vin_errors(vin, reason):
    with pytest.raises(VinError, match=reason):
        decode_vin(vin)
