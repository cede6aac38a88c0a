from django.apps import AppConfig


class FravaerConfig(AppConfig):
    name = "fravaer"
    verbose_name = "Fravær"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from fravaer import checks  # noqa: F401  (registers deploy checks)
