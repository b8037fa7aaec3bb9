"""The API's atomic rate limits, applied to the portal's form posts (sign-up, password reset, uploads)."""

from functools import wraps

from django.shortcuts import render

from apps.core.api.throttles import AtomicRateThrottle


def rate_limited(scope: str):
    """Count POSTs per user (or per IP when anonymous) in the API's `scope`; over the limit answer 429."""

    def decorate(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if request.method == "POST":
                throttle = AtomicRateThrottle()
                throttle.scope = scope
                if not throttle.allow_request(request, None):
                    wait = int(throttle.wait() or 60)
                    response = render(request, "portal/throttled.html", {"minutes": max(1, wait // 60)}, status=429)
                    response["Retry-After"] = str(wait)
                    return response
            return view(request, *args, **kwargs)

        return wrapper

    return decorate
