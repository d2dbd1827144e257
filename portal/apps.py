from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = "Partner Portal"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_login_failed

        from portal import log_redaction, signals

        log_redaction.install()
        user_login_failed.connect(
            signals.audit_sign_in_failed, dispatch_uid="portal.audit_sign_in_failed"
        )
