"""Running the vehicle and context checks of a claim: each through its adapter, cached, recorded as an
ExternalCheck (ok / degraded with the reason / not applicable)."""

import hashlib
import json
import logging
import time
from datetime import datetime
from datetime import time as dtime

from django.core.cache import cache
from django.utils import timezone

from apps.claims.models import Claim

from .models import CheckKind, ExternalCheck
from .providers import NotApplicable, ProviderUnavailable, provider_for

logger = logging.getLogger("insureops.integrations")
CACHE_SECONDS: dict[str, int] = {
    CheckKind.REGISTRATION: 24 * 3600,
    CheckKind.HISTORY: 24 * 3600,
    CheckKind.VIN: 30 * 24 * 3600,
    CheckKind.GEOCODE: 30 * 24 * 3600,
    CheckKind.WEATHER: 30 * 24 * 3600,  # the past does not change
}


def _cache_key(kind: str, provider: str, args: dict) -> str:
    digest = hashlib.sha256(json.dumps(args, sort_keys=True, default=str).encode()).hexdigest()[:32]
    return f"integrations:{kind}:{provider}:{digest}"


def _run(claim: Claim, kind: str, call, args: dict) -> ExternalCheck:
    started = time.monotonic()
    try:
        adapter = provider_for(kind)
    except ProviderUnavailable as exc:
        return ExternalCheck.objects.create(
            claim=claim, kind=kind, provider="unconfigured", status=ExternalCheck.Status.DEGRADED, message=str(exc)
        )
    key = _cache_key(kind, adapter.name, args)
    cached = cache.get(key)
    status, result, message = ExternalCheck.Status.OK, cached, ""
    if cached is None:
        try:
            result = call(adapter, **args)
            cache.set(key, result, CACHE_SECONDS[kind])
        except NotApplicable as exc:
            status, result, message = ExternalCheck.Status.NOT_APPLICABLE, {}, str(exc)
        except ProviderUnavailable as exc:
            status, result, message = ExternalCheck.Status.DEGRADED, {}, f"The {adapter.name} provider {exc}."
            logger.warning("Check %s for claim %s degraded: %s", kind, claim.pk, exc)
        except (ValueError, KeyError, TypeError) as exc:  # an answer we could not use: this check only
            status, result = ExternalCheck.Status.DEGRADED, {}
            message = f"The {adapter.name} provider gave an answer that could not be used ({type(exc).__name__})."
            logger.warning("Check %s for claim %s: unusable answer", kind, claim.pk, exc_info=True)
    return ExternalCheck.objects.create(
        claim=claim,
        kind=kind,
        provider=adapter.name,
        status=status,
        result=result or {},
        message=message[:300],
        cached=cached is not None,
        duration_ms=int((time.monotonic() - started) * 1000),
    )


def claim_checks_run(*, claim: Claim) -> list[ExternalCheck]:
    """Geocode the incident place, then the weather there and then; for motor claims, the registration, the
    vehicle's history and its VIN. A provider that is down degrades its own check only."""
    claim = Claim.objects.select_related("vehicle").get(pk=claim.pk)
    checks = []
    place = _run(claim, CheckKind.GEOCODE, lambda a, address: a.geocode(address), {"address": claim.incident_place})
    checks.append(place)
    if place.status == ExternalCheck.Status.OK:
        when = datetime.combine(
            claim.incident_date, claim.incident_time or dtime(12, 0), tzinfo=timezone.get_current_timezone()
        )
        checks.append(
            _run(
                claim,
                CheckKind.WEATHER,
                lambda a, lat, lon, when: a.at(lat=lat, lon=lon, when=when),
                {"lat": place.result["lat"], "lon": place.result["lon"], "when": when},
            )
        )
    vehicle = claim.vehicle
    if vehicle is not None:
        checks.append(
            _run(
                claim,
                CheckKind.REGISTRATION,
                lambda a, registration: a.lookup(registration),
                {"registration": vehicle.registration},
            )
        )
        checks.append(
            _run(
                claim,
                CheckKind.HISTORY,
                lambda a, vin, registration: a.check(vin=vin, registration=registration),
                {"vin": vehicle.vin, "registration": vehicle.registration},
            )
        )
        checks.append(_run(claim, CheckKind.VIN, lambda a, vin: a.decode(vin), {"vin": vehicle.vin}))
    return checks


def claim_checks_latest(claim: Claim) -> list[ExternalCheck]:
    """The newest check of each kind."""
    latest: dict[str, ExternalCheck] = {}
    for check in claim.external_checks.order_by("kind", "-checked_at", "-id"):
        latest.setdefault(check.kind, check)
    return list(latest.values())
