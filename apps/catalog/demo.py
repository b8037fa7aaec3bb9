"""Demo catalogue: motor, home, health, life and travel products with coverages and rating rules."""

from decimal import Decimal as D  # noqa: N817  (keeps the tables below readable)

from .models import Coverage, Product, ProductLine, RatingRule

LINES = [("auto", "Motor"), ("home", "Home"), ("health", "Health"), ("life", "Life"), ("travel", "Travel")]

PRODUCTS = {
    "motor-comprehensive": {
        "name": "Motor Comprehensive",
        "line": "auto",
        "base_premium": D("420.00"),
        "min_age": 18,
        "max_age": 85,
        "description": "Third-party liability, own damage, theft and glass for private cars.",
        "coverages": [
            ("liability", "Third-party liability", D("50000000"), D("0"), True, D("0")),
            ("own-damage", "Own damage", D("60000"), D("300"), True, D("0")),
            ("glass", "Glass breakage", D("2000"), D("0"), False, D("45.00")),
            ("roadside", "Roadside assistance", D("1500"), D("0"), False, D("30.00")),
        ],
        "rules": [
            ("age", None, D("25"), "", D("1.45"), "Driver under 25"),
            ("age", D("25"), D("70"), "", D("1.00"), "Driver 25-69"),
            ("age", D("70"), None, "", D("1.20"), "Driver 70+"),
            ("vehicle_value", None, D("15000"), "", D("0.90"), "Vehicle under €15k"),
            ("vehicle_value", D("15000"), D("40000"), "", D("1.00"), "Vehicle €15k-40k"),
            ("vehicle_value", D("40000"), None, "", D("1.35"), "Vehicle €40k+"),
            ("vehicle_age", None, D("3"), "", D("1.10"), "Vehicle under 3 years"),
            ("vehicle_age", D("3"), None, "", D("1.00"), "Vehicle 3+ years"),
            ("claims_count", None, D("1"), "", D("0.85"), "No claims in 3 years"),
            ("claims_count", D("1"), D("3"), "", D("1.15"), "1-2 claims"),
            ("claims_count", D("3"), None, "", D("1.60"), "3+ claims"),
        ],
    },
    "home-essentials": {
        "name": "Home Essentials",
        "line": "home",
        "base_premium": D("180.00"),
        "description": "Buildings and contents cover against fire, flood and burglary.",
        "coverages": [
            ("buildings", "Buildings", D("300000"), D("250"), True, D("0")),
            ("contents", "Contents", D("50000"), D("150"), True, D("0")),
            ("accidental", "Accidental damage", D("10000"), D("100"), False, D("40.00")),
        ],
        "rules": [
            ("sum_insured", None, D("150000"), "", D("0.85"), "Sum insured under €150k"),
            ("sum_insured", D("150000"), D("400000"), "", D("1.00"), "Sum insured €150k-400k"),
            ("sum_insured", D("400000"), None, "", D("1.40"), "Sum insured €400k+"),
        ],
    },
    "health-plus": {
        "name": "Health Plus",
        "line": "health",
        "base_premium": D("540.00"),
        "min_age": 0,
        "max_age": 75,
        "description": "Hospital, outpatient and dental care with a national network.",
        "coverages": [
            ("hospital", "Hospitalisation", D("100000"), D("0"), True, D("0")),
            ("outpatient", "Outpatient", D("5000"), D("20"), True, D("0")),
            ("dental", "Dental", D("1000"), D("0"), False, D("90.00")),
        ],
        "rules": [
            ("age", None, D("30"), "", D("0.80"), "Under 30"),
            ("age", D("30"), D("50"), "", D("1.00"), "30-49"),
            ("age", D("50"), None, "", D("1.60"), "50+"),
        ],
    },
    "term-life": {
        "name": "Term Life",
        "line": "life",
        "base_premium": D("240.00"),
        "min_age": 18,
        "max_age": 70,
        "description": "A lump sum for the family if the insured person dies within the term.",
        "coverages": [
            ("death", "Death benefit", D("150000"), D("0"), True, D("0")),
            ("disability", "Permanent disability", D("75000"), D("0"), False, D("60.00")),
        ],
        "rules": [
            ("age", None, D("40"), "", D("0.75"), "Under 40"),
            ("age", D("40"), D("55"), "", D("1.00"), "40-54"),
            ("age", D("55"), None, "", D("1.90"), "55+"),
        ],
    },
    "travel-annual": {
        "name": "Travel Annual",
        "line": "travel",
        "base_premium": D("95.00"),
        "description": "Every trip of the year: medical expenses abroad, cancellation and baggage.",
        "coverages": [
            ("medical-abroad", "Medical expenses abroad", D("1000000"), D("50"), True, D("0")),
            ("cancellation", "Trip cancellation", D("3000"), D("50"), False, D("25.00")),
            ("baggage", "Baggage", D("2500"), D("50"), False, D("15.00")),
        ],
        "rules": [
            ("age", None, D("65"), "", D("1.00"), "Under 65"),
            ("age", D("65"), None, "", D("1.50"), "65+"),
        ],
    },
}


# The claim types each demo cover answers (life and travel covers are claimed outside this catalogue's perils).
PERILS = {
    "liability": ["third_party_liability"],
    "own-damage": ["collision", "theft", "vandalism", "fire", "flood", "storm"],
    "glass": ["glass"],
    "roadside": ["breakdown"],
    "buildings": ["fire", "flood", "storm", "escape_of_water"],
    "contents": ["fire", "flood", "storm", "escape_of_water", "theft"],
    "accidental": ["accidental_damage"],
    "hospital": ["hospitalisation"],
    "outpatient": ["outpatient"],
    "dental": ["dental"],
}


def seed(*, stdout, options=None) -> None:
    lines = {code: ProductLine.objects.get_or_create(code=code, defaults={"name": name})[0] for code, name in LINES}
    created = 0
    for code, spec in PRODUCTS.items():
        product, is_new = Product.objects.get_or_create(
            code=code,
            defaults={
                "name": spec["name"],
                "line": lines[spec["line"]],
                "base_premium": spec["base_premium"],
                "description": spec["description"],
                "min_age": spec.get("min_age"),
                "max_age": spec.get("max_age"),
            },
        )
        if not is_new:
            for cover in product.coverages.filter(perils=[]):  # catalogues seeded before perils existed
                if PERILS.get(cover.code):
                    Coverage.objects.filter(pk=cover.pk).update(perils=PERILS[cover.code])
            continue
        created += 1
        Coverage.objects.bulk_create(
            [
                Coverage(
                    product=product,
                    code=c,
                    name=n,
                    limit=lim,
                    deductible=ded,
                    is_mandatory=mand,
                    annual_premium=prem,
                    perils=PERILS.get(c, []),
                )
                for c, n, lim, ded, mand, prem in spec["coverages"]
            ]
        )
        RatingRule.objects.bulk_create(
            [
                RatingRule(
                    product=product,
                    factor=f,
                    min_value=lo,
                    max_value=hi,
                    match=m,
                    multiplier=mult,
                    label=label,
                    position=i,
                )
                for i, (f, lo, hi, m, mult, label) in enumerate(spec["rules"])
            ]
        )
    stdout.write(f"catalog: {created} product(s) created, {Product.objects.count()} in total")
