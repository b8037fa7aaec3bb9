from django.apps import AppConfig


class BenchConfig(AppConfig):
    """Benchmark tooling: `manage.py benchmark` and the framework-floor views (mounted only in bench settings)."""

    name = "apps.bench"
    label = "bench"
    verbose_name = "Benchmarks"
