"""Provider adapters (seed 001 external APIs): one interface per kind of check, a local sandbox provider for dev
and tests, and an HTTP provider for the real service, chosen per kind by settings.INTEGRATIONS.

Every adapter returns a plain dict, or raises ProviderUnavailable with a reason a person can read ("timed out
after 3 s", "answered 503", "malformed answer: no 'make'"). HTTP calls have a timeout and a bounded number of
retries with backoff on timeouts, connection errors and 5xx; 4xx are not retried.
"""

import hashlib
import time
from datetime import datetime

import httpx
from django.conf import settings

from apps.policies.vin import VinError, decode_vin


class ProviderUnavailable(Exception):
    """The provider could not answer usefully; the message says why."""


class NotApplicable(Exception):
    """Nothing to check (e.g. no vehicle, no place)."""


# --- HTTP plumbing ------------------------------------------------------------------------------------------------


def http_json(config: dict, path: str, params: dict) -> dict:
    """GET `config['url'] + path` as JSON with timeout, retries and backoff; ProviderUnavailable otherwise."""
    url = config["url"].rstrip("/") + path
    timeout = float(config.get("timeout", 3.0))
    attempts = int(config.get("retries", 2)) + 1
    headers = {"Accept": "application/json"}
    if config.get("key"):
        headers["Authorization"] = f"Bearer {config['key']}"
    reason = ""
    for attempt in range(attempts):
        if attempt:
            time.sleep(float(config.get("backoff", 0.2)) * (2 ** (attempt - 1)))
        try:
            response = httpx.get(url, params=params, headers=headers, timeout=timeout)
        except httpx.TimeoutException:
            reason = f"timed out after {timeout:g} s"
            continue
        except httpx.TransportError as exc:
            reason = f"could not connect ({type(exc).__name__})"
            continue
        if response.status_code >= 500:
            reason = f"answered {response.status_code}"
            continue
        if response.status_code == 404:
            raise ProviderUnavailable("no record found")
        if response.status_code >= 400:
            raise ProviderUnavailable(f"refused the request ({response.status_code})")
        try:
            data = response.json()
        except ValueError:
            raise ProviderUnavailable("malformed answer: not JSON") from None
        if not isinstance(data, dict):
            raise ProviderUnavailable("malformed answer: not an object")
        return data
    raise ProviderUnavailable(f"{reason} ({attempts} attempt(s))")


def _require(data: dict, *fields: str) -> dict:
    missing = [f for f in fields if f not in data]
    if missing:
        raise ProviderUnavailable(f"malformed answer: no {', '.join(repr(f) for f in missing)}")
    return data


def _seed(*parts) -> int:
    return int(hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()[:8], 16)


# --- registration lookup (DVLA-style) -------------------------------------------------------------------------


class SandboxRegistration:
    name = "sandbox"
    MAKES = [("Volkswagen", "Golf"), ("Renault", "Clio"), ("Peugeot", "208"), ("Toyota", "Yaris"), ("BMW", "320d")]

    def lookup(self, registration: str) -> dict:
        reg = registration.replace(" ", "").replace("-", "").upper()
        if reg.startswith("XX"):
            raise ProviderUnavailable("no record found")
        n = _seed("reg", reg)
        make, model = self.MAKES[n % len(self.MAKES)]
        return {
            "registration": reg,
            "make": make,
            "model": model,
            "colour": ["Grey", "White", "Black", "Blue", "Red"][n % 5],
            "year_of_manufacture": 2012 + n % 12,
            "fuel": ["Petrol", "Diesel", "Hybrid", "Electric"][n % 4],
            "tax_status": "Taxed" if n % 9 else "Untaxed",
            "inspection_valid": bool(n % 7),
        }


class HttpRegistration:
    name = "http"

    def __init__(self, config: dict):
        self.config = config

    def lookup(self, registration: str) -> dict:
        data = http_json(self.config, "/vehicles", {"registration": registration})
        return _require(data, "registration", "make", "model")


# --- vehicle history (HPI-style) ------------------------------------------------------------------------------


class SandboxHistory:
    name = "sandbox"

    def check(self, *, vin: str, registration: str) -> dict:
        """Deterministic: registrations ending STL are stolen, FIN have finance outstanding, WO are written off."""
        reg = registration.replace(" ", "").replace("-", "").upper()
        return {
            "stolen": reg.endswith("STL"),
            "finance_outstanding": reg.endswith("FIN"),
            "write_off_category": "S" if reg.endswith("WO") else None,
            "previous_keepers": 1 + _seed("keepers", vin or reg) % 4,
            "mileage_discrepancy": reg.endswith("MIL"),
        }


class HttpHistory:
    name = "http"

    def __init__(self, config: dict):
        self.config = config

    def check(self, *, vin: str, registration: str) -> dict:
        data = http_json(self.config, "/history", {"vin": vin, "registration": registration})
        return _require(data, "stolen", "finance_outstanding", "write_off_category")


# --- VIN decode (offline, real: ISO 3779 check digit, WMI table, model year) ------------------------------------


class OfflineVin:
    name = "offline"

    def decode(self, vin: str) -> dict:
        try:
            info = decode_vin(vin)
        except VinError as exc:
            raise ProviderUnavailable(f"invalid VIN: {exc}") from None
        return {
            "vin": info.vin,
            "manufacturer": info.manufacturer,
            "model_year": info.model_year,
            "check_digit_verified": info.check_digit_verified,
        }


# --- geocoding and weather ----------------------------------------------------------------------------------------


class SandboxGeocoder:
    name = "sandbox"

    def geocode(self, address: str) -> dict:
        """A stable point around Lisbon for any address (so weather and maps work offline)."""
        n = _seed("geo", address.strip().lower())
        return {
            "lat": round(38.70 + (n % 2000) / 10000, 5),
            "lon": round(-9.20 + (n // 2000 % 2000) / 10000, 5),
            "formatted": address.strip(),
            "confidence": 0.5,
        }


class HttpGeocoder:
    name = "http"

    def __init__(self, config: dict):
        self.config = config

    def geocode(self, address: str) -> dict:
        data = _require(http_json(self.config, "/geocode", {"q": address}), "lat", "lon")
        return {
            "lat": float(data["lat"]),
            "lon": float(data["lon"]),
            **{k: v for k, v in data.items() if k not in ("lat", "lon")},
        }


class SandboxWeather:
    name = "sandbox"

    def at(self, *, lat: float, lon: float, when: datetime) -> dict:
        n = _seed("wx", round(lat, 2), round(lon, 2), when.date().isoformat(), when.hour)
        conditions = ["clear", "cloudy", "rain", "heavy rain", "fog", "wind"][n % 6]
        return {
            "conditions": conditions,
            "temperature_c": 5 + n % 25,
            "precipitation_mm": {"rain": 4, "heavy rain": 22}.get(conditions, 0),
            "wind_kph": 10 + n % 60,
            "observed_at": when.isoformat(),
        }


class HttpWeather:
    name = "http"

    def __init__(self, config: dict):
        self.config = config

    def at(self, *, lat: float, lon: float, when: datetime) -> dict:
        data = http_json(self.config, "/weather", {"lat": lat, "lon": lon, "at": when.isoformat()})
        return _require(data, "conditions", "temperature_c")


SANDBOX = {
    "registration": SandboxRegistration,
    "history": SandboxHistory,
    "vin": OfflineVin,
    "geocode": SandboxGeocoder,
    "weather": SandboxWeather,
}
HTTP = {
    "registration": HttpRegistration,
    "history": HttpHistory,
    "geocode": HttpGeocoder,
    "weather": HttpWeather,
}


def provider_for(kind: str):
    """The configured adapter for `kind` (settings.INTEGRATIONS[kind]['provider']: sandbox | http | offline)."""
    config = settings.INTEGRATIONS.get(kind, {})
    name = config.get("provider", "sandbox")
    if name == "http" and kind in HTTP:
        if not config.get("url"):
            raise ProviderUnavailable(f"the {kind} provider has no URL configured")
        return HTTP[kind](config)
    return SANDBOX[kind]()
