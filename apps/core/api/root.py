from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny

from .views import BaseApi


class ApiRootSerializer(serializers.Serializer):
    name = serializers.CharField()
    version = serializers.CharField()
    docs = serializers.CharField()
    schema = serializers.CharField()
    health = serializers.CharField()


class ApiRootView(BaseApi):
    """GET /api/v1/: where things are."""

    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(responses={200: ApiRootSerializer}, tags=["meta"])
    def get(self, request):
        from django.conf import settings

        return self.ok(
            {
                "name": "InsureOps API",
                "version": settings.APP_VERSION,
                "docs": "/api/docs/",
                "schema": "/api/schema/",
                "health": "/health",
            }
        )
