"""`/api/schema/`, served from memory (a module of its own: `schema.py` is DRF's DEFAULT_SCHEMA_CLASS module, which
drf-spectacular's views import while they load)."""

from django.core.signals import setting_changed
from django.dispatch import receiver
from django.urls import get_resolver
from django.utils import translation
from drf_spectacular.views import SpectacularAPIView
from rest_framework.response import Response

_SCHEMAS: dict[tuple, dict] = {}


@receiver(setting_changed)
def _schemas_forget(**kwargs) -> None:
    _SCHEMAS.clear()


class SchemaView(SpectacularAPIView):
    """`/api/schema/`: the OpenAPI document, generated once per process for each version, language, host, URLconf
    and caller's role (it depends on the code, not the data; generating it walks every endpoint, ~1 s), then
    served from memory."""

    def _get_schema_response(self, request):
        version = self.api_version or request.version or self._get_version_parameter(request)
        key = (
            version,
            translation.get_language(),
            request.get_host(),
            id(get_resolver(self.urlconf)),  # (replaced by clear_url_caches, as when a test swaps the URLconf)
            getattr(request.user, "role", None),
        )
        schema = _SCHEMAS.get(key)
        if schema is None:
            generator = self.generator_class(urlconf=self.urlconf, api_version=version, patterns=self.patterns)
            schema = generator.get_schema(request=request, public=self.serve_public)
            if len(_SCHEMAS) >= 32:  # (a client making up hosts does not grow it)
                _SCHEMAS.clear()
            _SCHEMAS[key] = schema
        return Response(
            data=schema,
            headers={"Content-Disposition": f'inline; filename="{self._get_filename(request, version)}"'},
        )
