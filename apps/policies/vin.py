"""Offline VIN checks (ISO 3779 / FMVSS 115): structure, check digit where it applies, WMI and model year."""

from dataclasses import dataclass
from datetime import date

_TRANSLIT = {
    **{str(d): d for d in range(10)},
    "A": 1,
    "B": 2,
    "C": 3,
    "D": 4,
    "E": 5,
    "F": 6,
    "G": 7,
    "H": 8,
    "J": 1,
    "K": 2,
    "L": 3,
    "M": 4,
    "N": 5,
    "P": 7,
    "R": 9,
    "S": 2,
    "T": 3,
    "U": 4,
    "V": 5,
    "W": 6,
    "X": 7,
    "Y": 8,
    "Z": 9,
}
_WEIGHTS = [8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2]
_YEAR_CODES = "ABCDEFGHJKLMNPRSTVWXY123456789"  # 30-year cycle starting 1980 (A) / 2010 (A)

# World manufacturer identifiers (first three characters; a few two-character prefixes).
WMI = {
    "WVW": "Volkswagen",
    "WV1": "Volkswagen Commercial",
    "WV2": "Volkswagen",
    "WBA": "BMW",
    "WBS": "BMW M",
    "WDB": "Mercedes-Benz",
    "WDD": "Mercedes-Benz",
    "W1K": "Mercedes-Benz",
    "WAU": "Audi",
    "WA1": "Audi",
    "WP0": "Porsche",
    "WP1": "Porsche",
    "VF1": "Renault",
    "VF3": "Peugeot",
    "VF7": "Citroën",
    "VR3": "Peugeot",
    "VSS": "SEAT",
    "VSK": "Nissan (Spain)",
    "ZFA": "Fiat",
    "ZAR": "Alfa Romeo",
    "ZFF": "Ferrari",
    "TMB": "Škoda",
    "SAL": "Land Rover",
    "SAJ": "Jaguar",
    "SCC": "Lotus",
    "YV1": "Volvo",
    "YS3": "Saab",
    "JHM": "Honda",
    "JTD": "Toyota",
    "JT2": "Toyota",
    "JTN": "Toyota",
    "JN1": "Nissan",
    "JMZ": "Mazda",
    "JF1": "Subaru",
    "KMH": "Hyundai",
    "KNA": "Kia",
    "KNM": "Renault Samsung",
    "1HG": "Honda (USA)",
    "1FA": "Ford (USA)",
    "1FT": "Ford trucks (USA)",
    "1G1": "Chevrolet (USA)",
    "1GC": "Chevrolet trucks (USA)",
    "2HG": "Honda (Canada)",
    "2T1": "Toyota (Canada)",
    "3VW": "Volkswagen (Mexico)",
    "4T1": "Toyota (USA)",
    "5YJ": "Tesla (USA)",
    "LRW": "Tesla (China)",
    "XP7": "Tesla (Germany)",
    "SB1": "Toyota (UK)",
    "NMT": "Toyota (Turkey)",
    "VNK": "Toyota (France)",
    "U5Y": "Kia (Slovakia)",
    "TMA": "Hyundai (Czechia)",
}


@dataclass(frozen=True)
class VinInfo:
    vin: str
    manufacturer: str | None
    model_year: int | None
    check_digit_verified: bool


class VinError(ValueError):
    pass


def check_digit(vin: str) -> str:
    total = sum(_TRANSLIT[ch] * weight for ch, weight in zip(vin, _WEIGHTS, strict=True))
    remainder = total % 11
    return "X" if remainder == 10 else str(remainder)


def decode_vin(raw: str, *, today: date | None = None) -> VinInfo:
    """Validate and decode; raises VinError with a reason. The check digit (9th character) is mandatory for
    North American VINs (first character 1-5) and verified elsewhere only when it is a digit or X."""
    vin = (raw or "").strip().upper().replace(" ", "").replace("-", "")
    if len(vin) != 17:
        raise VinError("A VIN has 17 characters.")
    bad = sorted({ch for ch in vin if ch not in _TRANSLIT})
    if bad:
        raise VinError(f"A VIN never contains {', '.join(bad)} (I, O and Q are not used).")
    north_american = vin[0] in "12345"
    verified = False
    if north_american or vin[8] in "0123456789X":
        if check_digit(vin) != vin[8]:
            if north_american:
                raise VinError("The check digit (9th character) does not match.")
        else:
            verified = True
    today = today or date.today()
    model_year = None
    if vin[9] in _YEAR_CODES:
        index = _YEAR_CODES.index(vin[9])
        candidates = [1980 + index, 2010 + index, 2040 + index]
        plausible = [year for year in candidates if year <= today.year + 1]
        model_year = max(plausible) if plausible else None
    manufacturer = WMI.get(vin[:3]) or WMI.get(vin[:2])
    return VinInfo(vin=vin, manufacturer=manufacturer, model_year=model_year, check_digit_verified=verified)
